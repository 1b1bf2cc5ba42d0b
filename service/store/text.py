"""Claim text as the store compares and searches it.

`normalize_claim` is the form in which two claims must be *identical* for a verdict to travel
between them automatically (see `rules.py`): case, accents, whitespace, punctuation and the
style of quotation marks and apostrophes are forgotten; every word is kept, prepositions,
numbers, negations and modal verbs included.

Search words are the text's folded (case- and accent-free) word tokens, without a short list
of English function words that would match nearly every claim.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from .values import fold

#: At most this many distinct words of one claim are indexed for search.
MAX_WORDS = 40

_NON_WORD = re.compile(r"[^\w]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by for from had has have he her his i if in into is it its
    me my no not of on or our she so than that the their them then there these they this those
    to us was we were what when which who will with would you your""".split()
)


def normalize_claim(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces; every word kept.

    Punctuation becomes a space rather than nothing, so "1.5" and "15" stay apart, and
    "won't" (any apostrophe) becomes "won t", which is not "will not" but is not "will" either.
    """
    return " ".join(_NON_WORD.sub(" ", fold(unicodedata.normalize("NFKC", text))).replace("_", " ").split())


def words(text: str) -> list[str]:
    """Distinct search words of a text, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _NON_WORD.sub(" ", fold(unicodedata.normalize("NFKC", text))).split():
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()) and len(word) <= 40:
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def claim_signature(stance: str, normalized: str) -> str:
    """The key under which a speaker's clusters are filed: claims with the same signature are
    candidates to be the same claim (a digest, so a 2,000-character claim costs a short field)."""
    return hashlib.blake2b(f"{stance}\0{normalized}".encode("utf-8"), digest_size=12).hexdigest()


#: Words after which a full stop does not end a sentence ("Gov. Marsh said").
_ABBREVIATIONS = frozenset("""mr mrs ms dr st sen rep gov gen lt col capt sgt maj adm cmdr jr sr prof rev hon
    pres supt det insp inc co corp ltd bros no vs etc approx dept univ ave jan feb mar apr jun jul aug sep sept
    oct nov dec u.s u.k e.g i.e""".split())
#: A sentence may end after . ! ? (or an ellipsis), with closing quotes or brackets after it.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
#: The word a full stop ends (what `_ends_sentence` looks up among the abbreviations).
_LAST_WORD = re.compile(r"([\w.]+)$")
#: The context shown around a claim stops this far from it, even inside one long sentence.
CONTEXT_MARGIN = 400


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    stop = match.start()
    if text[stop] != ".":
        return True
    word = _LAST_WORD.search(text, max(0, stop - 12), stop)
    if word is None:
        return True
    token = word.group(1).lower()
    return token not in _ABBREVIATIONS and not (len(token) == 1 and token.isalpha())


def context_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence or sentences of `text` that hold `text[start:end]`, as offsets.

    Plain text rules, not a parser, so that any stored claim gets its context from what is
    stored: a sentence ends at . ! ? before a capital, a digit or an opening quote (not after
    "Mr." or an initial), and always at a line break; at most `CONTEXT_MARGIN` characters
    are shown on each side of the claim.
    """
    lo = max(0, start - CONTEXT_MARGIN)
    hi = min(len(text), end + CONTEXT_MARGIN)
    first = lo
    line = text.rfind("\n", lo, start)
    if line >= 0:
        first = line + 1
    # The last sentence end before the claim is the one that counts: looked for from the
    # claim backwards (a single claim read computes this, and a list page with context 50 times).
    for m in reversed(list(_SENTENCE_END.finditer(text, first, start))):
        if _ends_sentence(text, m):
            first = m.end()
            break
    last = hi
    line = text.find("\n", end, hi)
    if line >= 0:
        last = line
    for m in _SENTENCE_END.finditer(text, max(end - 1, 0), last):
        if m.start() >= end - 1 and _ends_sentence(text, m):
            last = m.end()
            break
    while first < start and text[first].isspace():
        first += 1
    while last > end and text[last - 1].isspace():
        last -= 1
    return first, last
