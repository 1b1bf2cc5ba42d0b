#!/usr/bin/env python3
"""Learn which verbs and nouns report what someone said, from PolNeAR; `make cues`.

Reads one split of the corpus in its own brat layout (CORPUS/SPLIT/text/NAME.txt and
CORPUS/SPLIT/attributions/NAME_ANNOTATOR.ann; the first annotation file by name per article),
parses each article exactly as the worker does (`pipeline.parse`: its sentence marks, its
paragraphs as one batch; plus the lemmatizer, for lemmas), and for every verb and common noun
counts, per argument shape (`learned.sightings`, the very function extraction uses):

  seen  how often the word appeared with that argument and a speaker, outside quotations
  hits  how often the word lay inside an annotated cue and the extracted argument matched
        that attribution's content (the scorer's rule: 60% of the content's words and 50%
        of the argument's)

Nouns are also pooled per shape (lemma "*"), for nouns too rare to be counted alone. It
writes the pairs seen at least `--min-seen` times with a smoothed precision of at least
`--min-precision` to workers/extraction/data/learned_cues.tsv. The table holds lemmas and
counts only, never the corpus's text; extraction applies its own, stricter thresholds
(`learned.MIN_SEEN`, `learned.MIN_PRECISION`, chosen on the dev split).

  scripts/learn_cues.py [CORPUS] [--split train] [--out FILE] [--cache FILE]

CORPUS defaults to ../shared/eval/polnear relative to the repository's parent. `--cache`
keeps the parsed articles in a file outside the repository, so a second run skips parsing.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import spacy  # noqa: E402
from spacy.tokens import Doc, DocBin  # noqa: E402

from scripts.polnear import fragments, split_articles  # noqa: E402
from workers.extraction.cues import verb_forms  # noqa: E402
from workers.extraction.learned import ANY, TABLE, noun_forms, part_of_speech, sightings  # noqa: E402
from workers.extraction.pipeline import installed_model, parse  # noqa: E402
from workers.extraction.quotes import find_quotes, paragraphs  # noqa: E402
from workers.extraction.tokens import QuoteLookup  # noqa: E402

_TEXT_BOUND = re.compile(r"^(T\d+)\t(\w+) ([\d; ]+)\t", re.M)
_EVENT = re.compile(r"^E\d+\t(.*)$", re.M)
_ATTRS = ["ORTH", "TAG", "DEP", "HEAD", "LEMMA", "ENT_IOB", "ENT_TYPE", "SENT_START", "SPACY"]


def read_attributions(ann: Path) -> list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
    """(cue fragments, content fragments) of every attribution in one brat file."""
    raw = ann.read_text(encoding="utf-8")
    frags = {m.group(1): fragments(m.group(3)) for m in _TEXT_BOUND.finditer(raw)}
    out = []
    for m in _EVENT.finditer(raw):
        roles = dict(part.split(":", 1) for part in m.group(1).split())
        cue, content = roles.get("Cue"), roles.get("Content")
        if cue in frags and content in frags:
            out.append((frags[cue], frags[content]))
    return out


def load(corpus: Path, split: str, cache: Path | None) -> list[tuple[Doc, Path]]:
    pairs = split_articles(corpus, split)
    nlp = spacy.load(installed_model(), exclude=["senter"])
    if cache is not None and cache.exists():
        docs = list(DocBin().from_disk(cache).get_docs(nlp.vocab))
    else:
        t0 = time.perf_counter()
        texts = [text.read_text(encoding="utf-8") for text, _ in pairs]
        docs = [parse(t, nlp) for t in texts]
        print(f"# parsed {len(docs)} articles in {time.perf_counter() - t0:.0f}s", flush=True)
        if cache is not None:
            DocBin(attrs=_ATTRS, docs=docs).to_disk(cache)
    return list(zip(docs, (ann for _, ann in pairs)))


def _words(doc: Doc, first: int, last: int) -> set[int]:
    return {t.i for t in doc[first:last + 1] if not (t.is_punct or t.is_space)}


def count(docs: list[tuple[Doc, Path]]) -> tuple[Counter, Counter]:
    seen: Counter = Counter()
    hits: Counter = Counter()
    for doc, ann in docs:
        text = doc.text
        inside = QuoteLookup(find_quotes(text, paragraphs(text)))
        attributions = []
        for cue, content in read_attributions(ann):
            words = {t.i for t in doc if not (t.is_punct or t.is_space)
                     and any(a <= t.idx < b for a, b in content)}
            attributions.append((cue, words))
        for tok in doc:
            pos = part_of_speech(tok)
            if pos is None:
                continue
            lemma = tok.lemma_.lower()
            if tok.lower_ not in (verb_forms(lemma) if pos == "V" else noun_forms(lemma)):
                continue
            mine = [words for cue, words in attributions if any(a <= tok.idx < b for a, b in cue)]
            for shape, _, (first, last) in sightings(tok, pos, inside):
                pred = _words(doc, first, last)
                hit = any(pred and gold and len(pred & gold) >= 0.6 * len(gold) and len(pred & gold) >= 0.5 * len(pred)
                          for gold in mine)
                keys = [(pos, lemma, shape)] + ([(pos, ANY, shape)] if pos == "N" else [])
                for key in keys:
                    seen[key] += 1
                    hits[key] += hit
    return seen, hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "eval" / "polnear"))
    ap.add_argument("--split", default="train")
    ap.add_argument("--out", default=str(TABLE))
    ap.add_argument("--cache", default=None, help="parsed articles (spaCy DocBin), outside the repository")
    ap.add_argument("--min-seen", type=int, default=3)
    ap.add_argument("--min-precision", type=float, default=0.3)
    args = ap.parse_args()
    docs = load(Path(args.corpus), args.split, Path(args.cache) if args.cache else None)
    seen, hits = count(docs)
    rows = sorted((k for k in seen if seen[k] >= args.min_seen and hits[k] / (seen[k] + 1) >= args.min_precision),
                  key=lambda k: (k[0], k[1], k[2]))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(f"# Learned by scripts/learn_cues.py from PolNeAR {args.split} ({len(docs)} articles, first annotation "
                f"file each); counts only. hits: annotated content; seen: sightings with a speaker.\n")
        f.write("pos\tlemma\tshape\thits\tseen\n")
        for k in rows:
            f.write(f"{k[0]}\t{k[1]}\t{k[2]}\t{hits[k]}\t{seen[k]}\n")
    print(f"# {len(rows)} pairs of {len(seen)} written to {args.out}")


if __name__ == "__main__":
    main()
