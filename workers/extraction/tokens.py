"""Offset lookups over a parsed article, computed once per article.

spaCy's `Token.sent` walks the document's sentences on every call, which makes rules that
ask for a sentence per candidate quadratic in article length; these tables answer the
same questions by binary search.
"""
from __future__ import annotations

import bisect

from spacy.tokens import Doc

from .quotes import Quote


class TokenIndex:
    """Character offset to token, and token to its sentence's token range."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.starts = [t.idx for t in doc]
        self.sent_starts = [s.start for s in doc.sents] if len(doc) else []

    def at_or_after(self, pos: int) -> int:
        return bisect.bisect_left(self.starts, pos)

    def before(self, pos: int) -> int:
        return bisect.bisect_left(self.starts, pos) - 1

    def sentence(self, i: int) -> tuple[int, int]:
        """Start and end (exclusive) token indices of the sentence holding token i."""
        k = bisect.bisect_right(self.sent_starts, i) - 1
        start = self.sent_starts[k] if k >= 0 else 0
        end = self.sent_starts[k + 1] if k + 1 < len(self.sent_starts) else len(self.doc)
        return start, end


class QuoteLookup:
    """Whether a character offset lies inside a quotation's words."""

    def __init__(self, quotes: list[Quote]):
        self.starts = [q.content_start for q in quotes]
        self.quotes = quotes

    def __call__(self, pos: int) -> bool:
        k = bisect.bisect_right(self.starts, pos) - 1
        return k >= 0 and pos < self.quotes[k].content_end
