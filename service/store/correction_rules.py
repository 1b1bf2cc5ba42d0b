"""The rules of reviewers' corrections: what a correction may say, and what the extractor may
still do to a corrected claim. Plain functions over claim fields and article text; the store
calls them inside its transactions (corrections.py, claim_saving.py).

A corrected field is the reviewer's from then on. Re-extracting the same revision finds the
claim again by the extractor's own reading of it (kept as the correction's `original`), and
writes none of the corrected fields; a new revision keeps a corrected claim while its words
are still in the text (at the occurrence nearest where they were), and supersedes it only when
they are gone, as it does any claim. Where a reviewer has ruled on some words (corrected who
said them or which words they are, or added a claim the extractor missed), another claim the
extractor finds over those words is its other reading of them, and is not stored.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .rules import same_in_article

#: The stored claim fields each correctable field stands for: re-extraction never writes them
#: once the field was corrected.
PROTECTED = {
    "speaker": ("speaker_id", "speaker_name", "speaker_kind", "speaker_mention", "speaker_title"),
    "span": ("start", "end", "text"),
    "stance": ("stance",),
    "type": ("type",),
}
#: Corrections after which the reviewer, not the extractor, says whose words these are and
#: where they are: an extracted claim over them is not stored (`yields_to_reviewer`).
RULED = frozenset({"speaker", "span"})
#: The longest claim a reviewer may mark (an extracted claim is a sentence or a few).
MAX_SPAN = 5000


def protected_fields(corrected: Iterable[str]) -> set[str]:
    """The stored fields re-extraction must leave as the reviewer set them."""
    return {name for field in corrected for name in PROTECTED.get(field, ())}


def span_problem(text: str, start: int, end: int) -> str | None:
    """Why `text[start:end]` cannot be a claim's words; None when it can."""
    if not 0 <= start < end <= len(text):
        return f"the span must lie inside the article's text (0 <= start < end <= {len(text)})"
    if end - start > MAX_SPAN:
        return f"a claim is at most {MAX_SPAN} characters"
    words = text[start:end]
    if not words.strip():
        return "the span holds no words"
    if words != words.strip():
        return "the span starts or ends with white space; start and end at the words"
    return None


def overlapping(start: int, end: int, claims: Iterable[Mapping[str, Any]], but: str | None = None
                ) -> Mapping[str, Any] | None:
    """The first of `claims` (other than `but`) whose span shares a character with [start, end)."""
    for claim in claims:
        if claim["id"] != but and claim["start"] < end and start < claim["end"]:
            return claim
    return None


def locate(text: str, words: str, near: int) -> int | None:
    """Where `words` occur in `text`, the occurrence nearest `near`; None when they are gone."""
    best = None
    at = text.find(words)
    while at != -1:
        if best is None or abs(at - near) < abs(best - near):
            best = at
        at = text.find(words, at + 1)
    return best


def survives(fields: Mapping[str, Any], text: str) -> tuple[int, int] | None:
    """The span a corrected claim has in a (new) article text: where it was if its words are
    still there, else the nearest place they are; None when the text no longer holds them."""
    start, end, words = fields["start"], fields["end"], fields["text"]
    if text[start:end] == words:
        return start, end
    found = locate(text, words, start)
    return None if found is None else (found, found + len(words))


def found_again(new: Mapping[str, Any], old: Mapping[str, Any], correction: Mapping[str, Any] | None) -> bool:
    """Whether an extracted claim is the existing claim `old` found again: as it stands now
    (`rules.same_in_article`), or, for a corrected claim, as the extractor first read it."""
    if same_in_article(new, old):
        return True
    original = (correction or {}).get("original")
    return bool(original) and same_in_article(new, original)


def yields_to_reviewer(claim: Mapping[str, Any], ruled: Iterable[Mapping[str, Any]]) -> bool:
    """Whether an extracted claim (not found again) lies over words a reviewer ruled on."""
    return overlapping(claim["start"], claim["end"], ruled) is not None


def is_ruled(correction: Mapping[str, Any] | None) -> bool:
    """Whether a reviewer has said whose words these are, or which words (see `RULED`)."""
    if not correction:
        return False
    return correction.get("origin") == "reviewer" or bool(RULED & set(correction.get("fields") or ()))


def joins_after_correction(status: str) -> bool:
    """Whether a corrected claim may join the cluster of the same claim by its new speaker and
    words. Only a claim without a verdict of its own does: a verdict stays with its claim, and
    joining would otherwise publish it under the others' or theirs under it (a verifier can
    still link it, from the suggestions)."""
    return status == "unverified"


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What a correction changed, by correctable field: ``{"speaker": {"from": .., "to": ..}}``."""
    def view(fields: Mapping[str, Any], name: str) -> Any:
        if name == "speaker":
            return {"id": fields["speaker_id"], "name": fields["speaker_name"], "kind": fields["speaker_kind"],
                    "title": fields.get("speaker_title")}
        if name == "span":
            return {"start": fields["start"], "end": fields["end"], "text": fields["text"]}
        return fields.get(name)

    out = {}
    for name in PROTECTED:
        old, new = view(before, name), view(after, name)
        if old != new:
            out[name] = {"from": old, "to": new}
    return out
