"""Claim text as the store compares and searches it.

Two claims "say the same thing" when, after normalisation (lower case, no accents, no
punctuation, single spaces), they have the same content words in the same order, and their
whole word sequences are at least `SIMILARITY` similar (rapidfuzz's normalised Indel
similarity over words). Only a few words that carry no claim of their own (articles,
prepositions, "and", "very") may come and go; a changed verb, subject, number or negation
("cut" / "raise", "we" / "they", "ten" / "twenty", "will" / "will not") keeps two claims apart,
because a verdict must never travel to a claim that says something else.

Search words are the text's folded (case- and accent-free) word tokens, without a short list
of English function words that would match nearly every claim.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from rapidfuzz import process
from rapidfuzz.distance import Indel

from .layout import fold

#: Word-level similarity two claims with the same content words need (0-1).
SIMILARITY = 0.9
#: Words whose presence or absence does not change what a quote asserts.
IGNORABLE = frozenset("a an the and of to in on at for by with from as that this so very just really also".split())
#: At most this many distinct words of one claim are indexed for search.
MAX_WORDS = 40

_NON_WORD = re.compile(r"[^\w]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by for from had has have he her his i if in into is it its
    me my no not of on or our she so than that the their them then there these they this those
    to us was we were what when which who will with would you your""".split()
)


def normalize_claim(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces ("won't" keeps its "not")."""
    text = text.replace("n\u2019t", " nt").replace("n't", " nt")
    return " ".join(_NON_WORD.sub(" ", fold(unicodedata.normalize("NFKC", text))).split())


def words(text: str) -> list[str]:
    """Distinct search words of a text, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _NON_WORD.sub(" ", fold(unicodedata.normalize("NFKC", text))).split():
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()) and len(word) <= 40:
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def content_key(normalized: str) -> str:
    """What two claims must share to say the same thing: their content words, in order. A
    speaker's clusters are filed under it, so that matching a new claim reads one entry of
    the speaker's table, however many claims the speaker has."""
    content = " ".join(t for t in normalized.split() if t not in IGNORABLE)
    return hashlib.blake2b(content.encode("utf-8"), digest_size=8).hexdigest()


def best_match(normalized: str, length: int, candidates: dict[str, str]) -> str | None:
    """The key of the candidate (a cluster, with its first claim's text) that says the same
    thing as the claim whose normalised text and length are given, if any.

    Candidates are the speaker's clusters filed under the claim's `content_key`, so they have
    the same content words; texts whose lengths differ by more than 10% are still apart.
    """
    tokens = normalized.split()
    if not tokens:
        return None
    content = [t for t in tokens if t not in IGNORABLE]
    comparable = {}
    for key, text in candidates.items():
        other = normalize_claim(text).split()
        if abs(len(text) - length) <= 0.1 * max(length, len(text)) \
                and [t for t in other if t not in IGNORABLE] == content:
            comparable[key] = other
    found = process.extractOne(tokens, comparable, scorer=Indel.normalized_similarity, score_cutoff=SIMILARITY)
    return found[2] if found else None
