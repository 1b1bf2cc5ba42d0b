"""The verdict rules: which claims are the same claim, which are only alike, and where a
verdict may travel. Plain functions over claim fields; the store calls them inside its
transactions and never decides these things itself.

A verdict is published next to a speaker's words, so it may be copied automatically only
onto a claim that is the same statement: the same registry speaker, the same stance (a denial
is not an assertion) and the same words once case, accents, whitespace, punctuation and
quotation-mark style are set aside. Every word counts: "to Ohio" is not "from Ohio". Claims
that are only alike are offered to a fact-checker as suggestions, with the words that differ;
joining one is a person's decision, recorded in the history.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Indel, Levenshtein

from .text import normalize_claim

#: A claim marked as an extraction mistake: it never gives or takes a cluster's verdict.
NOT_A_CLAIM = "not_a_claim"
#: Word-level similarity (rapidfuzz's normalised Indel) from which a claim is suggested.
SUGGEST_SIMILARITY = 0.8
#: Texts whose lengths differ by more than this share are never suggested.
SUGGEST_LENGTH_RATIO = 0.25


def stance_of(claim: Mapping[str, Any]) -> str:
    return claim.get("stance") or "asserts"


def same_claim(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether a verdict on `a` may be copied to `b` without asking anyone.

    `a` and `b` hold `speaker_id`, `stance` and `text`.
    """
    return (a["speaker_id"] == b["speaker_id"] and stance_of(a) == stance_of(b)
            and normalize_claim(a["text"]) == normalize_claim(b["text"]))


@dataclass(frozen=True)
class Suggestion:
    """Why claim `b` may be the same claim as `a`: its score and the words that differ."""

    score: float
    reasons: list[str]
    differences: list[dict[str, str]] = field(default_factory=list)


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    """A claim's normalised words; cached, since a suggestion page compares one claim with a
    thousand others, and the same claims come up again on the next page views."""
    return tuple(normalize_claim(text).split())


def suggestion(a: Mapping[str, Any], b: Mapping[str, Any]) -> Suggestion | None:
    """`b` as a candidate for `a`'s cluster, or None when they are not alike enough.

    Only claims of the same speaker with the same stance are suggested: those are the only
    ones a verifier may link (see `link_refusal`). Claims that are the same claim are
    suggested too (score 1.0), for when a verifier split them apart before.
    """
    if a["speaker_id"] != b["speaker_id"] or stance_of(a) != stance_of(b):
        return None
    # The length test first: it needs no normalisation and turns away most candidates.
    longer, shorter = max(len(a["text"]), len(b["text"])), min(len(a["text"]), len(b["text"]))
    if shorter < (1 - SUGGEST_LENGTH_RATIO) * longer:
        return None
    x, y = _words(a["text"]), _words(b["text"])
    if not x or not y:
        return None
    score = Indel.normalized_similarity(x, y, score_cutoff=SUGGEST_SIMILARITY)
    if score < SUGGEST_SIMILARITY:
        return None
    differences = [
        {"this": " ".join(x[i1:i2]), "other": " ".join(y[j1:j2])}
        for op, i1, i2, j1, j2 in Levenshtein.opcodes(x, y) if op != "equal"
    ]
    reasons = ["same speaker", "same stance"]
    reasons.append("same words" if not differences else
                   f"{len(differences)} difference{'s' if len(differences) > 1 else ''} in wording")
    return Suggestion(round(score, 3), reasons, differences)


def link_refusal(claim: Mapping[str, Any], cluster_claim: Mapping[str, Any]) -> str | None:
    """Why a verifier may not put `claim` into the cluster of `cluster_claim`; None if allowed.

    A person may link claims whose words differ (that is what suggestions are for), but not
    across speakers or stances: that would publish one person's verdict under another's
    name, or an assertion's verdict on a denial.
    """
    if claim["speaker_id"] != cluster_claim["speaker_id"]:
        return "the claim has another speaker than the cluster; merge the speakers first if they are one person"
    if stance_of(claim) != stance_of(cluster_claim):
        return (f"the claim {stance_of(claim)} what the cluster's claims {stance_of(cluster_claim)}; "
                "a verdict cannot be copied across stances")
    if claim.get("status") == NOT_A_CLAIM:
        return "the claim is marked not_a_claim"
    return None


def propagates(new_status: str, member_status: str) -> bool:
    """Whether a verdict set on one claim of a cluster is copied onto another member.

    `not_a_claim` says something about one extraction, not about the statement, so it is
    never copied, and a member marked so keeps its mark.
    """
    return new_status != NOT_A_CLAIM and member_status != NOT_A_CLAIM


def inherits(cluster_status: str) -> bool:
    """Whether a claim joining a cluster automatically takes the cluster's verification."""
    return cluster_status not in ("unverified", NOT_A_CLAIM)


def same_in_article(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether a claim found in a new revision of an article is an old claim of that article
    found again (it then keeps the old claim's id, verdict, history and cluster).

    Named speakers must be the same registry speaker; unnamed sources get a new registry
    entry at every extraction, so within one article they are compared by their description.
    """
    if stance_of(new) != stance_of(old) or normalize_claim(new["text"]) != normalize_claim(old["text"]):
        return False
    if new["speaker_id"] == old["speaker_id"]:
        return True
    named = ("person", "organization")
    return new.get("speaker_kind") not in named and new.get("speaker_kind") == old.get("speaker_kind") \
        and normalize_claim(new.get("speaker_name") or "") == normalize_claim(old.get("speaker_name") or "")


def propagates_to(member: Mapping[str, Any], new_status: str) -> bool:
    """Whether a cluster verdict reaches this member: not one marked `not_a_claim` (see
    `propagates`), and not one its article no longer contains (superseded)."""
    return propagates(new_status, member.get("status") or "unverified") and member.get("superseded_in_revision") is None
