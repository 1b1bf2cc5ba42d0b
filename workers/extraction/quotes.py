"""Direct quotations: where quotation marks open and close in an article.

Quotation marks are paired on the raw characters, not on tokens: tokenisers split curly
and straight marks inconsistently, and a mark's direction is best read from the characters
on either side of it ("said, “Our" opens; "late,” he" closes). Newsroom style lets a quote
run over paragraphs by leaving it unclosed and reopening it at the next paragraph, so an
open quote survives a paragraph break only when the next paragraph starts with a mark.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile(r"``|''|[\"“”„«»]")
_OPENERS = frozenset("“„«") | {"``"}
_CLOSERS = frozenset("”»") | {"''"}
_LEFT_OPEN_CONTEXT = frozenset(" \t\n([{—–-―/:") | {""}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PARAGRAPH = re.compile(r"[^\n]+")


@dataclass(frozen=True, slots=True)
class Quote:
    """A top-level quotation: marks at `start`/`end - 1`, words in `content_start:content_end`.

    `continues` means the quote was left open at the end of its paragraph and reopened in
    the next one; `continued` means it is that reopening. `closed` is False when the
    closing mark never came, which usually means a stray or mistyped mark.
    """

    start: int
    end: int
    content_start: int
    content_end: int
    paragraph: int
    continues: bool = False
    continued: bool = False
    closed: bool = True


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Character spans of the non-empty lines; news bodies put one paragraph per line."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text) if m.group().strip()]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _direction(text: str, start: int, end: int, mark: str) -> str:
    left = text[start - 1] if start > 0 else ""
    right = text[end] if end < len(text) else ""
    opens = left in _LEFT_OPEN_CONTEXT and right not in ("", " ", "\n", "\t")
    closes = left not in _LEFT_OPEN_CONTEXT and (right in ("", " ", "\n", "\t") or not right.isalnum())
    if opens and not closes:
        return "open"
    if closes and not opens:
        return "close"
    if mark in _OPENERS:
        return "open"
    if mark in _CLOSERS:
        return "close"
    return "toggle"


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces, and the comma that stands in for a full stop before an attribution
    ("We won," she said): it is the quote's punctuation, not its words."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def find_quotes(text: str, paras: list[tuple[int, int]] | None = None) -> list[Quote]:
    """All top-level quotations in article order; nested quotes stay inside their parent.

    `paras` is `paragraphs(text)` when the caller has already computed it.
    """
    quotes: list[Quote] = []
    if paras is None:
        paras = paragraphs(text)
    carried = False
    for p_index, (p_start, p_end) in enumerate(paras):
        depth = 0
        open_at = -1
        continued = carried
        carried = False
        for m in _MARK.finditer(text, p_start, p_end):
            mark = m.group()
            direction = _direction(text, m.start(), m.end(), mark)
            if direction == "toggle":
                direction = "open" if depth == 0 else "close"
            if direction == "open":
                if depth == 0:
                    open_at = m.start()
                depth += 1
            elif depth > 0:
                depth -= 1
                if depth == 0:
                    cs, ce = _strip_span(text, open_at + len(_MARK.match(text, open_at).group()), m.start())
                    if ce > cs:
                        first = continued and not quotes_in_paragraph(quotes, p_index)
                        quotes.append(Quote(open_at, m.end(), cs, ce, p_index, continued=first))
        if depth > 0:
            nxt = paras[p_index + 1][0] if p_index + 1 < len(paras) else None
            reopen = _MARK.match(text, nxt) if nxt is not None else None
            continues = reopen is not None and _direction(text, nxt, reopen.end(), reopen.group()) != "close"
            cs, ce = _strip_span(text, open_at + len(_MARK.match(text, open_at).group()), p_end)
            if ce > cs:
                first = continued and not quotes_in_paragraph(quotes, p_index)
                quotes.append(Quote(open_at, p_end, cs, ce, p_index, continues=continues,
                                    continued=first, closed=continues))
            carried = continues
    return quotes


def quotes_in_paragraph(quotes: list[Quote], paragraph: int) -> bool:
    return bool(quotes) and quotes[-1].paragraph == paragraph


def is_title_like(text: str) -> bool:
    """A capitalised fragment such as a section heading or a work's title."""
    words = _WORD.findall(text)
    if not words:
        return True
    caps = sum(1 for w in words if w[0].isupper())
    return len(words) <= 8 and caps >= max(2, len(words) - 1)
