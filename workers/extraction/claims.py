"""The plain data the extraction pipeline hands to the rest of the system.

These records are the whole contract between extraction and storage: the worker turns
them into stored claims, the benchmarks and the quality scorer read them directly. They
hold no spaCy objects so that they can cross process boundaries and be compared in tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .stance import Stance

ClaimType = Literal["direct", "indirect", "mixed"]
SpeakerKind = Literal["person", "organization", "unnamed", "unknown"]


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who made a claim.

    `name` is canonical: the fullest form the article gives ("Vladimir Putin" for "Putin",
    "he" or "the Russian president"); a title never goes into it. `mention` is the words
    the attribution itself used, kept because it is what a reader sees in the sentence.
    """

    name: str
    mention: str
    title: str | None = None
    kind: SpeakerKind = "person"


@dataclass(frozen=True, slots=True)
class Claim:
    """One attributed claim found in an article's text.

    `start`/`end` are character offsets into the article text, so `text == article[start:end]`.
    `confidence` is in [0, 1]; higher means more likely right, claim and speaker together.
    `stance` says whether the speaker asserted, denied or questioned the text.
    """

    text: str
    type: ClaimType
    start: int
    end: int
    cue: str
    speaker: Speaker
    confidence: float
    stance: Stance = "asserts"
