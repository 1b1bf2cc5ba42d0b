"""The fine-tuned encoder: source, cue and content tags for every word of an article.

A 6-layer MiniLM (sentence-transformers/all-MiniLM-L6-v2) fine-tuned as a token
classifier on PolNeAR by scripts/train_model.py (`make model`), exported to ONNX with
int8 weights and served here with onnxruntime and the tokenizer's own `tokenizers`
file, so a worker needs no torch. The tags are PolNeAR's layout in BIO form.

The article's words are spaCy's tokens (the ones the rules read), so the model's tags
land on the same tokens the rules use. Each word is cut into wordpieces; its tag comes
from its first piece. Paragraphs are packed into windows of at most `SERVE_PIECES`
wordpieces, so a window sees whole paragraphs and the ones around them; a paragraph
longer than that is read in overlapping windows and each word takes the mean of the
windows that saw it.

Decoding is Viterbi over the allowed BIO transitions (`viterbi`): an I- tag only follows
a B- or I- tag of its own kind, so a span can neither start inside nor change kind
half-way, which argmax decoding did and which cut contents into fragments.

This module is shared by training and serving: the windows, the alignment and the
decoding are the same code in both, so the dev figures `make model` prints are the
figures of the code the worker runs.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy
from spacy.language import Language
from spacy.tokens import Doc

MODEL_DIR = Path(__file__).resolve().parent / "data" / "attribution"
TAGS = ("O", "B-SOURCE", "I-SOURCE", "B-CUE", "I-CUE", "B-CONTENT", "I-CONTENT")
KINDS = ("SOURCE", "CUE", "CONTENT")
# Wordpieces per window, [CLS] and [SEP] included, in training (the model was pre-trained
# on 256).
MAX_PIECES = 256
# Wordpieces per window when a worker serves the model: windows of 128 cost about a fifth less
# CPU than windows of 256 (attention and padding grow with the window) at the same figures
# (PolNeAR dev attributed F1 0.697 against 0.696; hand-written dev within one claim), and
# paragraphs of news rarely need more. `make model` prints its int8 dev figures at this size.
SERVE_PIECES = 128
# A paragraph longer than a window is read in windows that overlap by this share.
OVERLAP = 0.5
# Windows run through the network together (sorted by length, so little padding).
BATCH_WINDOWS = 16


@dataclass(frozen=True)
class TaggedSpan:
    """A run of words given one kind of tag; `score` is the mean probability of that kind."""

    kind: str
    start: int  # word (token) index
    end: int  # exclusive
    score: float


@dataclass(frozen=True)
class Window:
    """One network input: words [lo, hi) of the article as wordpiece ids with [CLS]/[SEP];
    `first[k]` is the input position of word lo+k's first piece, -1 where it has none
    (a word the tokenizer normalises away)."""

    lo: int
    hi: int
    ids: list[int]
    first: list[int]


def doc_words(doc: Doc, keep: numpy.ndarray | None = None) -> tuple[list[str], list[int], list[int]]:
    """The words the model reads (the document's tokens that are not whitespace, only those
    where `keep` is true when given), the word indices that start a paragraph (or follow
    words left out), and each word's token index."""
    words: list[str] = []
    breaks: list[int] = []
    token_of: list[int] = []
    skipped = False
    for tok in doc:
        if tok.is_space:
            if "\n" in tok.text and words:
                breaks.append(len(words))
            continue
        if keep is not None and not keep[tok.i]:
            skipped = True
            continue
        if skipped and words:
            breaks.append(len(words))
        skipped = False
        words.append(tok.text)
        token_of.append(tok.i)
    return words, sorted({b for b in breaks if b < len(words)}), token_of


def allowed_transitions() -> numpy.ndarray:
    """`allowed[a, b]`: tag b may follow tag a. I-X only after B-X or I-X."""
    n = len(TAGS)
    allowed = numpy.ones((n, n), dtype=bool)
    for b, tag in enumerate(TAGS):
        if tag.startswith("I-"):
            allowed[:, b] = False
            allowed[TAGS.index("B-" + tag[2:]), b] = True
            allowed[b, b] = True
    return allowed


_ALLOWED = allowed_transitions()
_START_ALLOWED = numpy.array([not t.startswith("I-") for t in TAGS])
_NEG = -1e9


def viterbi(probs: numpy.ndarray) -> numpy.ndarray:
    """The most probable tag sequence with no forbidden transition (one tag per word)."""
    n = len(probs)
    if not n:
        return numpy.zeros(0, dtype="int64")
    logp = numpy.log(numpy.clip(probs, 1e-9, 1.0))
    trans = numpy.where(_ALLOWED, 0.0, _NEG)
    score = numpy.where(_START_ALLOWED, logp[0], _NEG)
    back = numpy.zeros((n, len(TAGS)), dtype="int64")
    for i in range(1, n):
        cand = score[:, None] + trans
        back[i] = cand.argmax(axis=0)
        score = cand[back[i], numpy.arange(len(TAGS))] + logp[i]
    path = numpy.zeros(n, dtype="int64")
    path[-1] = int(score.argmax())
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def spans_of_tags(tags: Sequence[int]) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every span in a valid BIO sequence."""
    spans: list[tuple[str, int, int]] = []
    kind, start = 0, 0
    for i, t in enumerate(list(tags) + [0]):
        t = int(t)
        if kind and (t == 0 or t % 2 == 1 or (t + 1) // 2 != kind):
            spans.append((KINDS[kind - 1], start, i))
            kind = 0
        if t and (t % 2 == 1 or not kind):  # a B- tag, or an I- with no B- (never from viterbi)
            kind, start = (t + 1) // 2, i
    return spans


def decode(probs: numpy.ndarray) -> list[TaggedSpan]:
    """Spans of the Viterbi path, each scored by the mean probability of its kind."""
    kinds = numpy.concatenate([probs[:, :1], probs[:, 1::2] + probs[:, 2::2]], axis=1)
    return [TaggedSpan(kind, a, b, float(kinds[a:b, KINDS.index(kind) + 1].mean()))
            for kind, a, b in spans_of_tags(viterbi(probs))]


def _ranges(pieces: Sequence[int], breaks: Sequence[int], room: int) -> list[tuple[int, int]]:
    """Word ranges of the windows: whole paragraphs packed up to `room` pieces; an
    overlong paragraph in overlapping slices."""
    out: list[tuple[int, int]] = []
    bounds = [0, *sorted(b for b in breaks if 0 < b < len(pieces)), len(pieces)]
    lo = size = 0
    for a, b in zip(bounds, bounds[1:]):
        para = sum(pieces[a:b])
        if size and size + para > room:
            out.append((lo, a))
            lo, size = a, 0
        if para <= room:
            size += para
            continue
        if size:
            out.append((lo, a))
        out.extend(_slices(pieces, a, b, room))
        lo, size = b, 0
    if lo < len(pieces) and (size or not out):
        out.append((lo, len(pieces)))
    return out


def _slices(pieces: Sequence[int], a: int, b: int, room: int) -> list[tuple[int, int]]:
    """Overlapping slices of words [a, b) of at most `room` pieces each."""
    out = []
    start = a
    while start < b:
        end, size = start, 0
        while end < b and (size + pieces[end] <= room or end == start):
            size += pieces[end]
            end += 1
        out.append((start, end))
        if end >= b:
            break
        # Step forward by the non-overlapping share of this slice's words.
        start = max(start + 1, start + int((end - start) * (1 - OVERLAP)))
    return out


class WordPieces:
    """The tokenizer of the model, cutting words into wordpiece ids."""

    def __init__(self, tokenizer_file: Path):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.cls = self.tokenizer.token_to_id("[CLS]")
        self.sep = self.tokenizer.token_to_id("[SEP]")
        self.pad = self.tokenizer.token_to_id("[PAD]") or 0

    def windows(self, words: Sequence[str], breaks: Sequence[int], max_pieces: int = MAX_PIECES) -> list[Window]:
        """The windows that cover `words`; `breaks` are the word indices that start a paragraph."""
        if not words:
            return []
        enc = self.tokenizer.encode(list(words), is_pretokenized=True, add_special_tokens=False)
        ids = enc.ids
        first = [-1] * len(words)
        pieces = [0] * len(words)
        for p, w in enumerate(enc.word_ids):
            if w is None:
                continue
            if first[w] < 0:
                first[w] = p
            pieces[w] += 1
        out = []
        for lo, hi in _ranges(pieces, breaks, max_pieces - 2):
            p0 = next((first[w] for w in range(lo, hi) if first[w] >= 0), None)
            if p0 is None:
                continue
            p1 = p0 + sum(pieces[lo:hi])
            # A single word longer than a window is cut: it is never a word of news.
            window_ids = ids[p0:p1][:max_pieces - 2]
            out.append(Window(lo, hi, [self.cls, *window_ids, self.sep],
                              [f - p0 + 1 if f >= 0 and f - p0 + 1 < max_pieces - 1 else -1
                               for f in first[lo:hi]]))
        return out


def batch_arrays(windows: Sequence[Window], pad: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Padded input ids and attention mask for a batch of windows."""
    width = max(len(w.ids) for w in windows)
    ids = numpy.full((len(windows), width), pad, dtype="int64")
    mask = numpy.zeros((len(windows), width), dtype="int64")
    for k, w in enumerate(windows):
        ids[k, :len(w.ids)] = w.ids
        mask[k, :len(w.ids)] = 1
    return ids, mask


def softmax(logits: numpy.ndarray) -> numpy.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = numpy.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def word_probs(n_words: int, windows: Sequence[Window], window_probs: Sequence[numpy.ndarray]) -> numpy.ndarray:
    """Per-word tag probabilities from the windows' per-piece ones (mean where windows
    overlap; "O" for a word no window gave a piece to)."""
    total = numpy.zeros((n_words, len(TAGS)), dtype="float32")
    seen = numpy.zeros(n_words, dtype="float32")
    for w, probs in zip(windows, window_probs):
        pos = numpy.array(w.first)
        ok = pos >= 0
        words = numpy.arange(w.lo, w.hi)[ok]
        total[words] += probs[pos[ok]]
        seen[words] += 1
    out = numpy.zeros_like(total)
    out[:, 0] = 1.0
    has = seen > 0
    out[has] = total[has] / seen[has, None]
    return out


def run_windows(windows: list[Window], forward: Callable[[numpy.ndarray, numpy.ndarray], numpy.ndarray],
                pad: int, batch: int = BATCH_WINDOWS) -> list[numpy.ndarray]:
    """Per-piece tag probabilities of each window, batched by length; `forward` maps
    (ids, mask) to logits."""
    out: list[numpy.ndarray | None] = [None] * len(windows)
    order = sorted(range(len(windows)), key=lambda k: len(windows[k].ids))
    for c in range(0, len(order), batch):
        chunk = order[c:c + batch]
        ids, mask = batch_arrays([windows[k] for k in chunk], pad)
        probs = softmax(forward(ids, mask).astype("float32"))
        for row, k in enumerate(chunk):
            out[k] = probs[row]
    return out  # type: ignore[return-value]


class EncoderTagger:
    """The exported int8 model in an onnxruntime session, loaded once per worker."""

    def __init__(self, path: Path = MODEL_DIR, threads: int = 1, max_pieces: int = SERVE_PIECES):
        import onnxruntime

        self.path = path
        self.max_pieces = max_pieces
        self.meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if tuple(self.meta["tags"]) != TAGS:
            raise ValueError(f"{path}: the model's tags {self.meta['tags']} are not {TAGS}")
        self.pieces = WordPieces(path / "tokenizer.json")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Every batch has a shape of its own, so memory planned per shape and an arena sized
        # for the largest batch only grow: with them a worker grew by about 180 MB over the 84
        # PolNeAR dev articles, without them by about 115 MB, at the same speed.
        options.enable_mem_pattern = False
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(str(path / "model.onnx"), options,
                                                    providers=["CPUExecutionProvider"])

    def _forward(self, ids: numpy.ndarray, mask: numpy.ndarray) -> numpy.ndarray:
        return self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]

    def tag_many(self, articles: Iterable[tuple[Sequence[str], Sequence[int]]]) -> Iterator[numpy.ndarray]:
        """Per-word tag probabilities of each (words, paragraph starts); windows of several
        articles share batches."""
        items = [(list(words), list(breaks)) for words, breaks in articles]
        windows = [self.pieces.windows(words, breaks, self.max_pieces) for words, breaks in items]
        flat = [w for ws in windows for w in ws]
        probs = run_windows(flat, self._forward, self.pieces.pad)
        k = 0
        for (words, _), ws in zip(items, windows):
            yield word_probs(len(words), ws, probs[k:k + len(ws)])
            k += len(ws)

    def tag_doc(self, doc: Doc, keep: numpy.ndarray | None = None) -> numpy.ndarray:
        """Per-token tag probabilities of `doc` (one row per token), read only where `keep`
        is true: every other token, whitespace included, is "O"."""
        words, breaks, token_of = doc_words(doc, keep)
        out = numpy.zeros((len(doc), len(TAGS)), dtype="float32")
        out[:, 0] = 1.0
        if words:
            out[token_of] = next(self.tag_many([(words, breaks)]))
        return out


COMPONENT = "claimtrack_attribution"


class AttributionComponent:
    """The encoder, carried by the spaCy pipeline so that a worker loads it once with the
    parser, but added disabled: it is not run over whole documents. The extractor reads it
    (`tag`) after its rules, on the sentences they left bare (pipeline.py), which costs
    about half the encoder's time of a whole article."""

    def __init__(self, tagger: EncoderTagger):
        self.tagger = tagger
        self.tag = tagger.tag_doc

    def __call__(self, doc: Doc) -> Doc:
        """Run as a pipeline step (it never is, being disabled), it changes nothing."""
        return doc


@Language.factory(COMPONENT, default_config={"path": None, "threads": 1})
def make_attribution_component(nlp: Language, name: str, path: str | None, threads: int) -> AttributionComponent:
    """One onnxruntime thread by default: a worker's forked work horses each run their
    own extraction, and a session without a thread pool is safe to fork."""
    return AttributionComponent(EncoderTagger(Path(path) if path else MODEL_DIR, threads=threads))
