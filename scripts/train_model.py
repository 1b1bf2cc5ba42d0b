#!/usr/bin/env python3
"""Train the attribution tagger (workers/extraction/tagger.py) on PolNeAR; `make model`.

Reads the corpus in its own brat layout (CORPUS/train and CORPUS/dev, each with
text/NAME.txt and attributions/NAME_ANNOTATOR.ann), parses every article with the same
spaCy pipeline and sentence marks the worker uses, turns each article's Source, Cue and
Content spans into BIO tags, trains for a fixed number of epochs with fixed seeds, keeps
the epoch with the best dev figures, prints them, and writes the model to
workers/extraction/data/attribution/. Where an article has several annotation files, the
first by name is used (the annotators' files are not merged).

  scripts/train_model.py [CORPUS] [--epochs N] [--out DIR] [--cache FILE] [--seed N]

CORPUS defaults to ../shared/eval/polnear relative to the repository's parent. `--cache`
keeps the parsed features in a file outside the repository, so a second run skips parsing.
The corpus's texts never enter the repository: only the weights and label lists do.
"""
from __future__ import annotations

import argparse
import pickle
import random
import re
import sys
import time
from pathlib import Path

import numpy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from thinc.api import Adam, fix_random_seed  # noqa: E402

from scripts.polnear import fragments, split_articles  # noqa: E402
from workers.extraction.pipeline import load_model, prepare  # noqa: E402
from workers.extraction.quotes import find_quotes  # noqa: E402
from workers.extraction.tagger import (  # noqa: E402
    KINDS,
    MODEL_DIR,
    AttributionTagger,
    features,
    paragraph_ranges,
)
from workers.extraction.tokens import QuoteLookup  # noqa: E402

_SPAN = re.compile(r"^T\d+\t(Source|Cue|Content) ([\d; ]+)\t", re.M)


def read_spans(ann: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """(kind, fragments) for every Source, Cue and Content annotation of one brat file."""
    spans = []
    for m in _SPAN.finditer(ann.read_text(encoding="utf-8")):
        spans.append((m.group(1).upper(), [(a, b) for a, b in fragments(m.group(2)) if b > a]))
    return spans


def token_tags(doc, spans) -> numpy.ndarray:
    """The tag index of every token: the annotation covering its first character."""
    owner = numpy.full(len(doc.text) + 1, -1, dtype="int32")
    kind_of = []
    for k, (kind, frags) in enumerate(spans):
        kind_of.append(KINDS.index(kind))
        for a, b in frags:
            owner[a:min(b, len(doc.text))] = k
    tags = numpy.zeros(len(doc), dtype="int32")
    prev = -1
    for tok in doc:
        k = -1 if tok.is_space else int(owner[tok.idx])
        if k < 0:
            prev = -1
            continue
        kind = kind_of[k]
        tags[tok.i] = 1 + 2 * kind + (1 if k == prev else 0)
        prev = k
    return tags


def load_split(corpus: Path, split: str, nlp, tagger: AttributionTagger) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """(features, tags) per paragraph of every article of the split."""
    articles = split_articles(corpus, split)
    texts = [text.read_text(encoding="utf-8") for text, _ in articles]
    anns = [ann for _, ann in articles]
    out = []
    for text, ann, doc in zip(texts, anns, nlp.pipe(prepare(t, nlp) for t in texts)):
        feats = features(doc, tagger.dep_labels, tagger.tag_labels, QuoteLookup(find_quotes(text)))
        tags = token_tags(doc, read_spans(ann))
        out.extend((feats[a:b], tags[a:b]) for a, b in paragraph_ranges(doc))
    print(f"# {split}: {len(texts)} articles, {len(out)} paragraphs, {sum(len(t) for _, t in out)} tokens",
          flush=True)
    return out


def batches(data: list, tokens_per_batch: int, rng: random.Random) -> list[list]:
    """Shuffled batches of paragraphs of similar length (little padding)."""
    order = list(range(len(data)))
    rng.shuffle(order)
    out = []
    for c in range(0, len(order), 2000):
        chunk = sorted(order[c:c + 2000], key=lambda k: len(data[k][1]))
        batch, size = [], 0
        for k in chunk:
            batch.append(data[k])
            size += len(data[k][1])
            if size >= tokens_per_batch:
                out.append(batch)
                batch, size = [], 0
        if batch:
            out.append(batch)
    rng.shuffle(out)
    return out


def spans_of(tags: numpy.ndarray, kind: int) -> set[tuple[int, int]]:
    spans, start = set(), None
    for i, t in enumerate(list(tags) + [0]):
        inside = t in (1 + 2 * kind, 2 + 2 * kind)
        if start is not None and (not inside or t == 1 + 2 * kind):
            spans.add((start, i))
            start = None
        if inside and start is None:
            start = i
    return spans


def evaluate(tagger: AttributionTagger, data: list) -> dict:
    """Token F1 per kind (B and I together) and exact-match span F1 per kind."""
    preds = []
    for c in range(0, len(data), 256):
        preds.extend(p.argmax(axis=1) for p in tagger.network.predict([f for f, _ in data[c:c + 256]]))
    out = {}
    for k, kind in enumerate(KINDS):
        tp = fp = fn = stp = sfp = sfn = 0
        for (_, gold), pred in zip(data, preds):
            g = (gold == 1 + 2 * k) | (gold == 2 + 2 * k)
            p = (pred == 1 + 2 * k) | (pred == 2 + 2 * k)
            tp += int((g & p).sum())
            fp += int((p & ~g).sum())
            fn += int((g & ~p).sum())
            gs, ps = spans_of(gold, k), spans_of(pred, k)
            stp += len(gs & ps)
            sfp += len(ps - gs)
            sfn += len(gs - ps)
        out[kind.lower()] = {"token_f1": round(2 * tp / max(2 * tp + fp + fn, 1), 4),
                             "span_f1": round(2 * stp / max(2 * stp + sfp + sfn, 1), 4)}
    out["mean_token_f1"] = round(sum(out[k.lower()]["token_f1"] for k in KINDS) / len(KINDS), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "eval" / "polnear"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--out", default=str(MODEL_DIR))
    ap.add_argument("--cache", help="pickle of the parsed features (outside the repository)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tokens-per-batch", type=int, default=3000)
    ap.add_argument("--learn-rate", type=float, default=0.005)
    ap.add_argument("--dropout", type=float, default=0.1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    random.seed(args.seed)
    numpy.random.seed(args.seed)
    fix_random_seed(args.seed)
    nlp = load_model(attribution=False)
    width = nlp.get_pipe("tok2vec").model.get_dim("nO")
    tagger = AttributionTagger.new(list(nlp.get_pipe("parser").labels), list(nlp.get_pipe("tagger").labels),
                                   token_width=width, dropout=args.dropout)
    cache = Path(args.cache) if args.cache else None
    if cache is not None and cache.exists():
        train, dev = pickle.loads(cache.read_bytes())
        print(f"# features read from {cache}", flush=True)
    else:
        corpus = Path(args.corpus)
        train = load_split(corpus, "train", nlp, tagger)
        dev = load_split(corpus, "dev", nlp, tagger)
        if cache is not None:
            cache.write_bytes(pickle.dumps((train, dev), protocol=pickle.HIGHEST_PROTOCOL))
    parsed = time.perf_counter() - t0
    print(f"# parsed in {parsed:.0f}s", flush=True)

    network = tagger.network
    network.initialize(X=[f for f, _ in train[:50]])
    rng = random.Random(args.seed)
    optimizer = Adam(args.learn_rate, grad_clip=1.0)
    best, best_epoch = None, 0
    for epoch in range(1, args.epochs + 1):
        e0 = time.perf_counter()
        total = 0.0
        for batch in batches(train, args.tokens_per_batch, rng):
            Xs = [f for f, _ in batch]
            Y, backprop = network.begin_update(Xs)
            grads = []
            for y, (_, gold) in zip(Y, batch):
                truth = numpy.zeros_like(y)
                truth[numpy.arange(len(gold)), gold] = 1.0
                grads.append((y - truth) / args.tokens_per_batch)
                total += float(-numpy.log(y[numpy.arange(len(gold)), gold] + 1e-8).sum())
            backprop(grads)
            network.finish_update(optimizer)
        figures = evaluate(tagger, dev)
        print(f"epoch {epoch}: loss {total:.0f}, {time.perf_counter() - e0:.0f}s, dev {figures}", flush=True)
        if best is None or figures["mean_token_f1"] > best["mean_token_f1"]:
            # Written at every improvement, so a run cut short still leaves its best model.
            best, best_epoch = figures, epoch
            tagger.save(Path(args.out), {
                "trained_on": "PolNeAR train split (Newell, Margolin and Ruths, LREC 2018), "
                              "first annotation file per article",
                "selected_on": "PolNeAR dev split, best mean token F1 over source, cue and content",
                "epochs": args.epochs, "best_epoch": best_epoch, "seed": args.seed,
                "learn_rate": args.learn_rate, "dropout": args.dropout, "tokens_per_batch": args.tokens_per_batch,
                "dev": best, "spacy_pipeline": nlp.meta.get("name"),
            })
    seconds = time.perf_counter() - t0
    print(f"best epoch {best_epoch}; dev {best}")
    print(f"# written to {args.out}; {seconds / 60:.1f} min in all", flush=True)


if __name__ == "__main__":
    main()
