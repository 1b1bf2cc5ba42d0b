"""The intermediate record passed between the finding and the resolving stages.

A candidate knows where a claim's words are and how its attribution was found, but not
yet who the speaker is: speakers are resolved afterwards in article order, because a
pronoun or an unattributed quote paragraph depends on the claims before it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .stance import Stance

# How the attribution was found, strongest first. "clause": a cue verb governs the content;
# "according": "according to X"; "quote-cue": a cue verb beside a quotation in its
# sentence; "colon": a cue ending the previous sentence with a colon; "dash": "— Name"
# after the quote; "same-paragraph" / "continued": an earlier attributed quote in the
# paragraph, or the quote this one continues; "previous-paragraph": the last claim's
# speaker; "last-named": the last person named before the quote; "label": a transcript
# turn opened by its speaker's name ("HOLT: ..."); "model": the encoder's spans
# (fusion.py), with the content's mean tag probability as `cue_weight`; "learned": a verb or
# noun from the learned lexicon (learned.py), with its corpus precision as `cue_weight`.
Source = Literal["clause", "according", "quote-cue", "colon", "dash", "same-paragraph",
                 "continued", "previous-paragraph", "last-named", "label", "model", "learned"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An attributed stretch of text whose speaker is still to be resolved.

    `subject` is the token index of the speaker phrase's head when the sentence names
    one; `cue_token` the index of the cue's head word (None for quotes attributed by
    position). `cue_weight` says how strongly the cue signals an assertion; `stance` whether
    the speaker asserts, denies or questions the content (see `stance.py`).
    """

    start: int
    end: int
    type: Literal["direct", "indirect", "mixed"]
    cue: str
    source: Source
    subject: int | None = None
    cue_token: int | None = None
    cue_lemma: str = ""
    cue_weight: float = 1.0
    negated: bool = False
    quote_closed: bool = True
    stance: Stance = "asserts"


def with_span(c: Candidate, start: int, end: int, type_: str | None = None) -> Candidate:
    return replace(c, start=start, end=end, type=type_ or c.type)
