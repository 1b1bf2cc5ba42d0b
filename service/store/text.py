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
#: How much of a claim's normalised text is kept for matching; longer texts are compared
#: on this prefix (and their lengths), which keeps the per-speaker match table small.
MATCH_PREFIX = 240
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
    """Lower case, no accents, no punctuation, single spaces; at most `MATCH_PREFIX`
    characters, cut at a word boundary."""
    text = " ".join(_NON_WORD.sub(" ", fold(unicodedata.normalize("NFKC", text.replace("n\u2019t", " nt")
                                                                      .replace("n't", " nt")))).split())
    if len(text) <= MATCH_PREFIX:
        return text
    return text[:MATCH_PREFIX].rsplit(" ", 1)[0]



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


def cluster_line(cluster_id: str, text: str, normalized: str) -> str:
    """How a cluster is kept in its speaker's table: id, text length, normalised text."""
    return f"{cluster_id}|{len(text)}|{normalized}"


def best_match(normalized: str, length: int, lines: str | None) -> str | None:
    """The cluster, among the table lines filed under this claim's `content_key`, whose
    text says the same thing, if any.

    Texts whose lengths differ by more than 10% are not the same claim, whatever their
    first `MATCH_PREFIX` characters say.
    """
    tokens = normalized.split()
    if not tokens or not lines:
        return None
    content = [t for t in tokens if t not in IGNORABLE]
    candidates = {}
    for line in lines.split("\n"):
        cluster_id, other_length, other = line.split("|", 2)
        other_tokens = other.split()
        if abs(int(other_length) - length) <= 0.1 * max(length, int(other_length)) \
                and [t for t in other_tokens if t not in IGNORABLE] == content:
            candidates[cluster_id] = other_tokens
    found = process.extractOne(tokens, candidates, scorer=Indel.normalized_similarity, score_cutoff=SIMILARITY)
    return found[2] if found else None
