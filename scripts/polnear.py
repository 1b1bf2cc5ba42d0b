"""PolNeAR in the corpus's own brat layout, as both training scripts read it.

A split is CORPUS/SPLIT/text/NAME.txt with CORPUS/SPLIT/attributions/NAME_ANNOTATOR.ann;
some articles have several annotation files, and the scripts use the first by name, so
that the model and the cue table are learned from the same annotations.
"""
from __future__ import annotations

from pathlib import Path


def split_articles(corpus: Path, split: str) -> list[tuple[Path, Path]]:
    """(text file, first annotation file) of every annotated article of the split, by name."""
    folder = corpus / split
    out = []
    for text in sorted((folder / "text").glob("*.txt")):
        annotations = sorted((folder / "attributions").glob(f"{text.stem}_*.ann"))
        if annotations:
            out.append((text, annotations[0]))
    return out


def fragments(offsets: str) -> list[tuple[int, int]]:
    """A text-bound annotation's character ranges: "12 30;45 60" (a span may be discontinuous)."""
    return [(int(a), int(b)) for a, b in (part.split() for part in offsets.split(";"))]
