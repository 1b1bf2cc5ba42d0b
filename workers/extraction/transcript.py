"""Interview transcripts: paragraphs that open with the speaker's name and a colon.

News sites print interviews as "HOLT: Well, look, ..." or "Ms. Ruiz: We never ...", a
turn per paragraph, often inside a blockquote whose paragraphs each reopen a quotation
mark. Such a turn is the speaker's own words, so it is a direct claim attributed by its
label. A single "NEW DELHI:" or "Update:" line is a dateline or a note, not a
transcript: labels count only when one of them opens two or more paragraphs.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# A label: one to three capitalised words ("HOLT", "MS. HOLT", "Gov. Holt") and a colon,
# after any opening quotation marks.
_LABEL = re.compile(
    r"""[ \t]*["“”'‘]*[ \t]*((?:[A-Z][A-Za-z.'’\-]*[ \t]){0,2}[A-Z][A-Za-z.'’\-]*):[ \t]+(?=\S)""")
# Labels that announce something other than a speaker.
_NOT_SPEAKERS = frozenset({
    "update", "updated", "correction", "clarification", "note", "editor's note", "editor’s note",
    "watch", "read", "read more", "related", "video", "photos", "photo", "breaking", "source",
    "sources", "advertisement", "also", "more", "q", "a", "question", "answer", "transcript",
    "summary", "background", "context", "bottom line", "why it matters", "what's next",
})
_QUESTION_END = re.compile(r"[.!?…]+[\"”’']*(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's turn: the label's characters and the words that follow it."""

    label_start: int
    label_end: int
    content_start: int
    content_end: int
    paragraph: int


def find_turns(text: str, paragraphs: list[tuple[int, int]]) -> list[Turn]:
    """The labelled turns of an interview transcript, in article order (none for ordinary prose)."""
    turns: list[Turn] = []
    for k, (start, end) in enumerate(paragraphs):
        m = _LABEL.match(text, start, end)
        if m is None or m.group(1).lower() in _NOT_SPEAKERS or not _name_like(m.group(1)):
            continue
        content_start, content_end = m.end(), _strip_closing(text, m.end(), end)
        if content_end > content_start:
            turns.append(Turn(m.start(1), m.end(1), content_start, content_end, k))
    counts = Counter(text[t.label_start:t.label_end].lower() for t in turns)
    if not counts or max(counts.values()) < 2:
        return []
    return turns


def only_questions(text: str) -> bool:
    """A turn that asks and asserts nothing, as an interviewer's often does."""
    ends = [m.group().rstrip("\"”’'") for m in _QUESTION_END.finditer(text)]
    return bool(ends) and all(e.endswith("?") for e in ends)


def _name_like(label: str) -> bool:
    """All capitals ("HOLT") or every word capitalised ("Ms. Holt"), and not a sentence."""
    words = label.split()
    return label.isupper() or all(w[:1].isupper() for w in words) and len(words) <= 3


def _strip_closing(text: str, start: int, end: int) -> int:
    while end > start and (text[end - 1].isspace() or text[end - 1] in "\"”"):
        end -= 1
    return end
