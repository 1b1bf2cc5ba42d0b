"""How much to trust a claim: how its attribution was found and how its speaker was resolved.

The factors multiply, so each weak link lowers the score independently. They were set
by measuring precision per band on held-out gold sets (bench/quality.py --bands), so a
higher band is right more often; they are not probabilities fitted to any one corpus.
"""
from __future__ import annotations

from .candidates import Candidate
from .cues import COGNITION
from .quotes import word_count

SOURCE_BASE = {
    "quote-cue": 0.95, "clause": 0.9, "according": 0.85, "colon": 0.85, "dash": 0.85,
    "continued": 0.85, "same-paragraph": 0.8, "previous-paragraph": 0.65, "last-named": 0.45,
    "label": 0.9, "model": 0.55, "learned": 0.8,
}
RESOLUTION_FACTOR = {"named": 1.0, "role": 0.9, "pronoun": 0.92, "unnamed": 0.9, "unknown": 0.45}


def score(c: Candidate, how: str, ambiguous: bool, text: str) -> float:
    """A value in [0, 1]; see the module docstring for what it is built from."""
    conf = SOURCE_BASE.get(c.source, 0.5)
    conf *= 0.6 + 0.4 * c.cue_weight
    conf *= RESOLUTION_FACTOR.get(how, 0.5)
    if ambiguous:
        conf *= 0.9
    if c.cue_lemma in COGNITION:
        conf *= 0.85
    if c.negated:
        conf *= 0.7
    if not c.quote_closed:
        conf *= 0.85
    n = word_count(text)
    if n < 3:
        conf *= 0.7
    elif n > 80:
        conf *= 0.9
    if c.type == "mixed":
        conf *= 0.97
    return round(max(0.01, min(0.99, conf)), 3)
