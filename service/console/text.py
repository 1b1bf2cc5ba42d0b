"""An article's text cut into paragraphs and highlighted claim spans, for the templates."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
import time
from datetime import datetime, timezone
from functools import lru_cache
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
    """Paragraphs as runs of plain text and claim spans: ``[[{"text", "start", "claim"?}, ...], ...]``
    (`start`: where the run begins in the article's text, so that words a reviewer selects
    on the page can be turned back into a span).

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
                runs.append({"text": text[position:start], "start": position})
            runs.append({"text": text[start:end], "claim": claim, "active": claim["id"] == active, "start": start})
            position = end
        if position < p_end:
            runs.append({"text": text[position:p_end], "start": position})
        out.append(runs)
    return out


#: What a speaker did with a claim's words, as the claim sentence says it (`claim_sentence`).
_VERBS = {"asserts": ("said", "said that"), "denies": ("denied, saying", "denied that"),
          "questions": ("asked", "asked whether")}


def claim_sentence(claim: Mapping[str, Any]) -> tuple[str, str, str]:
    """The claim as what its speaker did: ("Elena Marsh", "denied that", "the bridge was unsafe"),
    so that a verdict on a denial is not read as a verdict on the denied words. A direct quote
    keeps its quotation marks: ("Tom Reyes", "said", "“We inspected every bolt”")."""
    stance = claim.get("stance") or "asserts"
    quoted, reported = _VERBS.get(stance, _VERBS["asserts"])
    text = claim["text"]
    if claim.get("type") == "direct":
        return claim["speaker"]["name"], quoted, f"\u201c{text}\u201d"
    return claim["speaker"]["name"], reported, text


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def readable_time(value: str | None, now: datetime | None = None) -> str:
    """An ISO time as people read it: "5 minutes ago", "yesterday", "3 Dec 2026" (the page shows
    the exact UTC time on hover)."""
    if not value:
        return ""
    if now is None:
        # The same times come up on every page view: cached for the minute.
        return _readable_this_minute(value, int(time.time() // 60))
    return _readable(value, now)


@lru_cache(maxsize=4096)
def _readable_this_minute(value: str, minute: int) -> str:
    return _readable(value, datetime.fromtimestamp(minute * 60, timezone.utc))


def _readable(value: str, now: datetime) -> str:
    try:
        # By hand: strptime costs about 20 us, and the queue formats 50 times per page.
        moment = datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]), int(value[14:16]),
                          int(value[17:19]), tzinfo=timezone.utc)
    except ValueError:
        return value
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes > 1 else ''} ago"
    if 0 <= seconds < 86400:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours > 1 else ''} ago"
    if 0 <= seconds < 2 * 86400:
        return "yesterday"
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
