"""One claim per reported clause: "said A and that B" is two claims.

"He said that repairs would cost $14 million and that the state would cover half" holds
two checkable statements, which a fact-checker rules on separately; glued together, a
verdict on one would be recorded against both. The second "that" is what marks a second
reported clause: "said the city would review its contracts and close the depot" stays
one claim, since the speaker made one statement with two verbs.
"""
from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Doc

from .candidates import Candidate
from .contents import trim
from .tokens import TokenIndex

_JOINS = frozenset({"and", "but"})


def _cuts(doc: Doc, first: int, last: int) -> list[tuple[int, int]]:
    """(end of a clause, start of the next) for each "and that" / "but that" in tokens first..last."""
    cuts = []
    for tok in doc[first + 1:last + 1]:
        if tok.lower_ != "that" or tok.dep_ != "mark" or tok.head.dep_ != "conj":
            continue
        join = tok.i - 1
        if join <= first or doc[join].lower_ not in _JOINS:
            continue
        end = join - 1
        while end > first and (doc[end].is_punct or doc[end].is_space):
            end -= 1
        if end - first >= 2 and last - tok.i >= 3:
            cuts.append((end, tok.i + 1))
    return cuts


def _second_clause(doc: Doc, c: Candidate, taken: list[Candidate]) -> Candidate | None:
    """"said taxes would rise, but that services would improve", with the second clause
    parsed as a conjunct of "said": the cue's second reported clause."""
    cue = doc[c.cue_token]
    for conj in cue.children:
        if conj.dep_ != "conj" or conj.idx < c.end:
            continue
        mark = next((m for m in conj.children if m.dep_ == "mark" and m.lower_ == "that"), None)
        if mark is None or mark.i != conj.left_edge.i or doc[mark.i - 1].lower_ not in _JOINS:
            continue
        span = trim(doc, mark.i + 1, conj.right_edge.i)
        if span is None or span[1] - span[0] < 2:
            continue
        start, end = doc[span[0]].idx, doc[span[1]].idx + len(doc[span[1]])
        if any(t.start < end and start < t.end for t in taken):
            continue
        return replace(c, start=start, end=end)
    return None


def split_conjoined(doc: Doc, cands: list[Candidate], index: TokenIndex) -> list[Candidate]:
    """Each reported (indirect) candidate cut at every second "that" clause."""
    out: list[Candidate] = []
    for c in cands:
        if c.type != "indirect" or c.cue_token is None:
            out.append(c)
            continue
        second = _second_clause(doc, c, cands) if doc[c.cue_token].tag_.startswith("VB") else None
        if second is not None:
            out.append(second)
        first, last = index.at_or_after(c.start), index.before(c.end)
        cuts = _cuts(doc, first, last)
        if not cuts:
            out.append(c)
            continue
        starts = [first] + [b for _, b in cuts]
        ends = [a for a, _ in cuts] + [last]
        for a, b in zip(starts, ends):
            span = trim(doc, a, b)
            if span is not None:
                out.append(replace(c, start=doc[span[0]].idx, end=doc[span[1]].idx + len(doc[span[1]])))
    return sorted(out, key=lambda c: c.start)
