"""What the speaker did with the words of a claim: asserted them, denied them, or asked.

A claim's text is the content as the article gives it ("road repairs would be delayed"); a
verdict on it is only safe to publish together with the speaker's stance towards it. "Marsh
denied that road repairs would be delayed" must never read as Marsh's claim that they would.

The stance comes from the attribution, never from the content: "said she would not resign"
asserts a negated clause. A negated cue ("did not deny that ...") is neither a denial nor a
question, so it stays `asserts`, the default, like every cue not listed here.
"""
from __future__ import annotations

from typing import Literal

from spacy.tokens import Doc, Token

Stance = Literal["asserts", "denies", "questions"]
STANCES: tuple[Stance, ...] = ("asserts", "denies", "questions")

#: Cue lemmas with which the speaker rejects the content ("denied that", "rejected claims that").
DENIAL_CUES = frozenset({"deny", "dispute", "reject", "dismiss", "refute", "rebut"})
#: Cue lemmas with which the speaker asks or doubts rather than asserts.
QUESTION_CUES = frozenset({"ask", "wonder", "question", "inquire", "query", "doubt"})

# "it was not true that X", "it is false that X": a denial of X phrased as an assertion.
FALSITY = frozenset({"false", "untrue", "wrong", "incorrect", "inaccurate", "baseless", "nonsense"})
TRUTH = frozenset({"true", "correct", "accurate", "right"})
_BE = frozenset({"is", "was", "'s", "’s", "were", "has", "had", "been", "be", "would", "will"})
_NOT = frozenset({"not", "n't", "n’t", "never"})


def of_cue(lemma: str, negated: bool = False) -> Stance:
    """The stance a cue verb gives its content; a negated cue asserts nothing of either kind."""
    if negated:
        return "asserts"
    if lemma in DENIAL_CUES:
        return "denies"
    if lemma in QUESTION_CUES:
        return "questions"
    return "asserts"


#: Nouns that carry the same stances ("her denial that ...", "doubts about ...").
DENIAL_NOUNS = frozenset({"denial", "rejection", "dismissal", "rebuttal", "refutation"})
QUESTION_NOUNS = frozenset({"question", "doubt", "query"})


def of_noun(lemma: str) -> Stance:
    """The stance a noun of attribution gives its content ("claim" asserts, "denial" denies);
    a plural ("doubts") as its singular."""
    if lemma in DENIAL_NOUNS or lemma[:-1] in DENIAL_NOUNS:
        return "denies"
    if lemma in QUESTION_NOUNS or lemma[:-1] in QUESTION_NOUNS:
        return "questions"
    return "asserts"


def denial_frame(doc: Doc, first: int, last: int) -> int | None:
    """Where the denied clause starts when a reported clause is "it was not true that X" (or
    "it is false that X"); None for any other clause.

    The speaker denies X: the claim is X with stance `denies`, so that a verdict on it reads
    as a verdict on what the speaker rejected, not on the speaker's sentence about truth.
    """
    words = [t for t in doc[first:min(last + 1, first + 9)] if not t.is_space]
    if len(words) < 4 or words[0].lower_ != "it" or words[1].lower_ not in _BE:
        return None
    k = 1
    while k < len(words) and words[k].lower_ in _BE:
        k += 1
    negated = k < len(words) and words[k].lower_ in _NOT
    if negated:
        k += 1
    if k + 1 >= len(words):
        return None
    if words[k].lower_ == "the" and words[k + 1].lower_ == "case":
        k += 1
        falsity = negated
    else:
        falsity = words[k].lower_ in TRUTH and negated or words[k].lower_ in FALSITY and not negated
    that = words[k + 1]
    if not falsity or that.lower_ != "that" or that.i >= last:
        return None
    return that.i + 1


def negated(verb: Token) -> bool:
    """Whether a cue verb carries its own negation ("did not deny", "never said")."""
    return any(c.dep_ == "neg" for c in verb.children)
