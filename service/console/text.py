"""An article's text cut into paragraphs and highlighted claim spans, for the templates."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: blocks separated by a blank line."""
    spans, start = [], 0
    for gap in _PARAGRAPH_BREAK.finditer(text):
        if text[start:gap.start()].strip():
            spans.append((start, gap.start()))
        start = gap.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def highlighted(text: str, claims: Iterable[Mapping[str, Any]], active: str | None = None,
                bounds: tuple[int, int] | None = None) -> list[list[dict[str, Any]]]:
    """Paragraphs as runs of plain text and claim spans: ``[[{"text", "claim"?}, ...], ...]``.

    A claim that overlaps one already shown (a mixed quote inside a reported one) is left
    unmarked in the text; the page lists every claim anyway. `bounds` keeps only the
    paragraph(s) inside that range.
    """
    spans = sorted(((c["span"]["start"], c["span"]["end"], c) for c in claims
                    if text[c["span"]["start"]:c["span"]["end"]] == c["text"]), key=lambda s: (s[0], -s[1]))
    kept, last_end = [], -1
    for start, end, claim in spans:
        if start >= last_end:
            kept.append((start, end, claim))
            last_end = end
    out = []
    for p_start, p_end in paragraphs(text):
        if bounds is not None and (p_end <= bounds[0] or p_start >= bounds[1]):
            continue
        runs, position = [], p_start
        for start, end, claim in kept:
            if end <= p_start or start >= p_end:
                continue
            start, end = max(start, p_start), min(end, p_end)
            if start > position:
                runs.append({"text": text[position:start]})
            runs.append({"text": text[start:end], "claim": claim, "active": claim["id"] == active})
            position = end
        if position < p_end:
            runs.append({"text": text[position:p_end]})
        out.append(runs)
    return out
