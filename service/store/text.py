"""Claim text as the store compares and searches it.

Two claims "say the same thing" when their normalised texts are at least
`SIMILARITY_THRESHOLD` similar by rapidfuzz's `fuzz.ratio` (normalised Indel similarity,
0-100): quoting the same sentence with different punctuation, quotation marks, case, or a
word changed in a long sentence stays above it; a different sentence does not.

Search words are the text's folded (case- and accent-free) word tokens, without a short list
of English function words that would match nearly every claim.
"""
from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

from .layout import fold

SIMILARITY_THRESHOLD = 90.0
#: How much of a claim's normalised text is kept for matching; longer texts are compared
#: on this prefix, which keeps the per-speaker match table small.
MATCH_PREFIX = 240
#: At most this many distinct words of one claim are indexed for search.
MAX_WORDS = 40

_NON_WORD = re.compile(r"[^\w]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by for from had has have he her his i if in into is it its
    me my no not of on or our she so than that the their them then there these they this those
    to us was we were what when which who will with would you your""".split()
)


def normalize_claim(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())[:MATCH_PREFIX]


def words(text: str) -> list[str]:
    """Distinct search words of a text, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _NON_WORD.sub(" ", fold(unicodedata.normalize("NFKC", text))).split():
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()) and len(word) <= 40:
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def best_match(normalized: str, candidates: dict[str, str]) -> str | None:
    """The key of the candidate text that says the same thing, if any."""
    if not normalized or not candidates:
        return None
    found = process.extractOne(normalized, candidates, scorer=fuzz.ratio, score_cutoff=SIMILARITY_THRESHOLD)
    return found[2] if found else None
