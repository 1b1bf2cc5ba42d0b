"""The trained attribution tagger: source, cue and content tags for every token.

A small network over what the spaCy pipeline has already computed for the rules: the
pipeline's own token vectors (`doc.tensor`, from the shared tok2vec), the fine-grained
tag and dependency label of each token and of its head, and whether a cue word governs
it. A bidirectional LSTM reads each paragraph and a softmax gives each token one of
BIO-encoded SOURCE / CUE / CONTENT tags, the layout of PolNeAR's annotation. Running it
per paragraph keeps the recurrent steps short, so the model costs a few percent of the
parse it sits on.

Trained by scripts/train_model.py (`make model`); the weights and the label lists live in
`data/attribution/` beside this module and are loaded once per worker, like the pipeline.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch
from thinc.api import LSTM, Maxout, Model, Softmax, chain, residual, with_array, with_padded

from .cues import cue_lemma
from .quotes import find_quotes
from .tokens import QuoteLookup

MODEL_DIR = Path(__file__).resolve().parent / "data" / "attribution"
TAGS = ("O", "B-SOURCE", "I-SOURCE", "B-CUE", "I-CUE", "B-CONTENT", "I-CONTENT")
KINDS = ("SOURCE", "CUE", "CONTENT")
# Where the component leaves each document's tag probabilities.
PROBS_KEY = "claimtrack_attribution_probs"
COMPONENT = "claimtrack_attribution"
# Per-token flags after the one-hot blocks: see `features`.
_N_FLAGS = 7


@dataclass(frozen=True)
class TaggedSpan:
    """A run of tokens given one kind of tag; `score` is the mean probability of that kind."""

    kind: str
    start: int  # token index
    end: int  # token index, exclusive
    score: float


def paragraph_ranges(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges between line breaks: the units the network reads one at a time."""
    ranges, start = [], 0
    for tok in doc:
        if tok.is_space and "\n" in tok.text:
            if tok.i > start:
                ranges.append((start, tok.i))
            start = tok.i + 1
    if start < len(doc):
        ranges.append((start, len(doc)))
    return ranges


def features(doc: Doc, dep_labels: list[str], tag_labels: list[str],
             inside_quote: Callable[[int], bool]) -> numpy.ndarray:
    """One row per token: token vector, one-hot tag and dependency labels, and flags.

    Flags: cue word, head is a cue word, inside a quotation, quotation mark, sentence
    start, whitespace, cue word among the first three ancestors.
    """
    n = len(doc)
    width = doc.tensor.shape[1] if doc.tensor.size else 96
    n_dep, n_tag = len(dep_labels) + 1, len(tag_labels) + 1
    out = numpy.zeros((n, width + 2 * n_dep + n_tag + _N_FLAGS), dtype="float32")
    if not n:
        return out
    if doc.tensor.size:
        out[:, :width] = doc.tensor
    dep_id = {label: k for k, label in enumerate(dep_labels)}
    tag_id = {label: k for k, label in enumerate(tag_labels)}
    is_cue = numpy.array([cue_lemma(t) is not None for t in doc], dtype=bool)
    flags = width + 2 * n_dep + n_tag
    for tok in doc:
        i = tok.i
        out[i, width + dep_id.get(tok.dep_, n_dep - 1)] = 1.0
        out[i, width + n_dep + dep_id.get(tok.head.dep_, n_dep - 1)] = 1.0
        out[i, width + 2 * n_dep + tag_id.get(tok.tag_, n_tag - 1)] = 1.0
        out[i, flags] = is_cue[i]
        out[i, flags + 1] = is_cue[tok.head.i] and tok.head.i != i
        out[i, flags + 2] = inside_quote(tok.idx)
        out[i, flags + 3] = tok.is_quote
        out[i, flags + 4] = tok.is_sent_start or False
        out[i, flags + 5] = tok.is_space
        anc, k = tok.head, 0
        while k < 3 and anc.i != tok.i and anc.head.i != anc.i:
            if is_cue[anc.i]:
                out[i, flags + 6] = 1.0
                break
            anc, k = anc.head, k + 1
    return out


def build_network(n_in: int, width: int, depth: int, dropout: float = 0.0) -> Model:
    """Maxout projection, a bidirectional LSTM over a paragraph added to it (residual, so
    the token's own features reach the output directly), a softmax over TAGS."""
    return chain(
        with_array(Maxout(width, n_in, nP=2, normalize=True, dropout=dropout)),
        with_padded(residual(LSTM(width, width, bi=True, depth=depth, dropout=dropout))),
        with_array(Softmax(len(TAGS), width)),
    )


class AttributionTagger:
    """The trained network with the label lists its features were built from."""

    def __init__(self, network: Model, meta: dict):
        self.network = network
        self.meta = meta
        self.dep_labels: list[str] = meta["dep_labels"]
        self.tag_labels: list[str] = meta["tag_labels"]

    @classmethod
    def new(cls, dep_labels: list[str], tag_labels: list[str], token_width: int, width: int = 128,
            depth: int = 2, dropout: float = 0.0) -> AttributionTagger:
        n_in = token_width + 2 * (len(dep_labels) + 1) + len(tag_labels) + 1 + _N_FLAGS
        meta = {"dep_labels": list(dep_labels), "tag_labels": list(tag_labels), "n_in": n_in,
                "width": width, "depth": depth, "tags": list(TAGS)}
        return cls(build_network(n_in, width, depth, dropout), meta)

    @classmethod
    def load(cls, path: Path = MODEL_DIR) -> AttributionTagger:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if tuple(meta["tags"]) != TAGS:
            raise ValueError(f"{path}: the model's tags {meta['tags']} are not {TAGS}")
        network = build_network(meta["n_in"], meta["width"], meta["depth"])
        network.initialize(X=[numpy.zeros((2, meta["n_in"]), dtype="float32")])
        network.from_bytes((path / "model.bin").read_bytes())
        return cls(network, meta)

    def save(self, path: Path, extra: dict | None = None) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / "model.bin").write_bytes(self.network.to_bytes())
        meta = dict(self.meta, **(extra or {}))
        (path / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    def sequences(self, doc: Doc, inside_quote: Callable[[int], bool]) -> tuple[list[tuple[int, int]], list]:
        feats = features(doc, self.dep_labels, self.tag_labels, inside_quote)
        ranges = paragraph_ranges(doc)
        return ranges, [feats[a:b] for a, b in ranges]


class AttributionComponent:
    """The tagger as a pipeline component after the parser: it stores each document's tag
    probabilities in `doc.user_data[PROBS_KEY]` and changes nothing else on the document.
    `pipe` runs the paragraphs of a whole batch of documents through the network at once."""

    def __init__(self, tagger: AttributionTagger):
        self.tagger = tagger

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 32) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            spans, seqs = [], []
            for d, doc in enumerate(batch):
                ranges, feats = self.tagger.sequences(doc, QuoteLookup(find_quotes(doc.text)))
                spans.extend((d, a, b) for a, b in ranges)
                seqs.extend(feats)
            out = [numpy.zeros((len(doc), len(TAGS)), dtype="float32") for doc in batch]
            for o in out:
                o[:, 0] = 1.0
            if seqs:
                for (d, a, b), p in zip(spans, self.tagger.network.predict(seqs)):
                    out[d][a:b] = p
            for doc, probs in zip(batch, out):
                doc.user_data[PROBS_KEY] = probs
                yield doc


@Language.factory(COMPONENT, default_config={"path": None})
def make_attribution_component(nlp: Language, name: str, path: str | None) -> AttributionComponent:
    return AttributionComponent(AttributionTagger.load(Path(path) if path else MODEL_DIR))


def decode(probs: numpy.ndarray) -> list[TaggedSpan]:
    """Spans from the most probable kind of each token (B- and I- probabilities summed);
    a new span opens where the kind changes or where a B- tag is the more probable one.

    Summing keeps a long content in one piece where the tagger hesitates between B- and
    I- in its middle."""
    kinds = numpy.concatenate([probs[:, :1], probs[:, 1::2] + probs[:, 2::2]], axis=1)
    best = kinds.argmax(axis=1)
    spans: list[TaggedSpan] = []
    kind, start = 0, 0

    def close(end: int) -> None:
        if kind:
            score = float(kinds[start:end, kind].mean())
            spans.append(TaggedSpan(KINDS[kind - 1], start, end, score))

    for i, k in enumerate(best):
        if k == 0:
            close(i)
            kind = 0
            continue
        if k != kind or probs[i, 2 * k - 1] > probs[i, 2 * k]:
            close(i)
            kind, start = int(k), i
    close(len(best))
    return spans
