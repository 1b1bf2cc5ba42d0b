"""Direct quotations: which cue and speaker each one belongs to.

News style puts the attribution right after the quote ("...," she said), before it
("She said: ..."), between its halves, after a dash, or nowhere at all when a quote
paragraph continues the previous speaker. The search follows that order of likelihood
and records how the attribution was found so confidence can reflect it.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc, Token

from . import stance
from .candidates import Candidate
from .cues import COGNITION, cue_lemma, cue_weight
from .quotes import Quote, is_title_like, word_count
from .reported import subject_of
from .tokens import TokenIndex

_DASHES = frozenset({"—", "–", "―", "-", "--", "—-"})
_DASH_CHARS = frozenset("—–―-")
_TIME_ENTS = frozenset({"DATE", "TIME"})
_NON_SPEAKERS = frozenset({"that", "this", "which", "what", "there", "it", "who"})
# Page furniture that a blockquote sometimes swallows.
_SIGN_OFF = re.compile(r"(?:Follow|Subscribe|Sign up|Click|Read more|Watch the|Contact)\b")


def _speaker_after(cue: Token, limit: int) -> Token | None:
    """An inverted subject ("said Priya Raman") when the parser gave the verb none."""
    for tok in cue.doc[cue.i + 1:limit]:
        if tok.ent_type_ in _TIME_ENTS or tok.dep_ == "npadvmod":
            continue
        if tok.tag_ in ("NNP", "NNPS", "NN", "NNS", "PRP") and tok.head.i in (cue.i, tok.i) or \
                tok.tag_ in ("NNP", "NNPS") and tok.dep_ == "nsubj":
            while tok.dep_ == "compound" and tok.head.i < limit:
                tok = tok.head
            return tok
        if tok.is_punct and tok.text not in (",",):
            break
    return None


def _speaker_before(cue: Token, first: int) -> Token | None:
    """The name right before the cue ('"...," Tulsa police Chief Chuck Jordan said') when the
    parser hung the cue on the quotation and gave it no subject; `first` is the first token
    after the quotation."""
    if cue.i - 1 < first:
        return None
    tok = cue.doc[cue.i - 1]
    if tok.tag_ in ("NNP", "NNPS") and tok.ent_type_ not in _TIME_ENTS or tok.tag_ == "PRP" and tok.lower_ in (
            "he", "she", "they"):
        return tok
    return None


def _subject_outside(verb: Token, inside_quote: Callable[[int], bool]) -> Token | None:
    """The cue's subject, passing over one the parser found inside the quotation itself.

    ""The best mayor this town has had," Rep. Ann Cole said" can give "said" two
    subjects, the quoted phrase first; the speaker is the one outside the marks.
    """
    subj = subject_of(verb)
    if subj is None or not inside_quote(subj.idx):
        return subj
    return next((c for c in verb.children if c.dep_ == "nsubj" and not inside_quote(c.idx)), subj)


def _cue_in(tokens: list[Token], inside_quote: Callable[[int], bool], last: bool,
            main_only: bool = False) -> tuple[Token, Token] | None:
    """The first (or `last`) cue among `tokens` with a speaker outside any quotation.

    `main_only` accepts only the main verb of what follows a quotation that ended its own
    sentence: after ""We won the title." Fans who said they had waited hours cheered.",
    the cue of a clause buried in the next sentence is not this quote's.
    """
    order = reversed(tokens) if last else tokens
    limit = tokens[-1].i + 1 if tokens else 0
    for tok in order:
        lemma = cue_lemma(tok)
        if lemma is None or inside_quote(tok.idx):
            continue
        if main_only and tok.dep_ != "ROOT" and tok.head.i >= tokens[0].i:
            continue
        subj = _subject_outside(tok, inside_quote)
        if subj is None or inside_quote(subj.idx) or subj.lower_ in _NON_SPEAKERS or subj.ent_type_ in _TIME_ENTS:
            subj = _speaker_after(tok, limit) or (_speaker_before(tok, tokens[0].i) if not last else None)
        if subj is not None and not inside_quote(subj.idx):
            return tok, subj
    return None


def _dash_name(doc: Doc, text: str, index: TokenIndex, end: int, limit: int) -> tuple[Token, str] | None:
    """"“...” ― Jane Roe": a name right after a dash closing the quote, and the dash."""
    i = end
    while i < limit and text[i] in " \t":
        i += 1
    if i >= limit or text[i] not in _DASH_CHARS:
        return None
    dash = text[i]
    name = None
    for tok in doc[index.at_or_after(i + 1):]:
        if tok.idx >= limit:
            break
        if tok.is_space or tok.text in _DASHES and name is None:
            continue
        if tok.tag_ in ("NNP", "NNPS") or tok.ent_type_ == "PERSON":
            name = tok
            continue
        break
    return (name, dash) if name is not None else None


def _candidate(q: Quote, cue: Token | None, subject: Token | None, source: str, cue_text: str = "") -> Candidate:
    lemma = cue_lemma(cue) if cue is not None else ""
    weight = cue_weight(lemma) if lemma else 1.0
    if lemma in COGNITION:
        weight = min(weight, 0.6)
    return Candidate(start=q.content_start, end=q.content_end, type="direct",
                     cue=cue_text or (cue.text if cue is not None else ""), source=source,
                     subject=subject.i if subject is not None else None,
                     cue_token=cue.i if cue is not None else None, cue_lemma=lemma or source,
                     cue_weight=weight, quote_closed=q.closed,
                     stance=stance.of_cue(lemma, cue is not None and stance.negated(cue)))


def _aside(content: str) -> bool:
    """A stage direction ("(CROSSTALK)", "[applause]") or a sign-off ("Follow X on Twitter").

    Checked only for quotations attributed by position: a paragraph of a blockquote that
    is the page's furniture rather than anyone's words.
    """
    stripped = content.strip()
    if stripped[:1] in "([" and stripped.rstrip(".").endswith((")", "]")):
        return True
    return word_count(stripped) <= 12 and _SIGN_OFF.match(stripped) is not None


def _ends_sentence(content: str) -> bool:
    return content.rstrip("'’\"” ").endswith((".", "?", "!"))


def is_embedded(text: str, q: Quote) -> bool:
    """Whether the quote sits inside a clause ("a "temporary" fix") rather than standing as speech."""
    i = q.start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i >= 0 and (text[i].isalnum() or text[i] in "'’$%")


def attribute_quote(doc: Doc, text: str, index: TokenIndex, q: Quote, quotes: list[Quote], k: int,
                    paragraphs: list[tuple[int, int]], inside_quote: Callable[[int], bool]) -> Candidate | None:
    """The attribution of the k-th quotation, or None when it is not a claim."""
    p_start, p_end = paragraphs[q.paragraph]
    content = text[q.content_start:q.content_end]
    n_words = word_count(content)
    embedded = is_embedded(text, q)
    if embedded and n_words <= 4:
        return None
    nxt = quotes[k + 1].start if k + 1 < len(quotes) and quotes[k + 1].paragraph == q.paragraph else p_end
    prv = quotes[k - 1].end if k > 0 and quotes[k - 1].paragraph == q.paragraph else p_start

    # After the quote, up to the end of the sentence the closing mark belongs to.
    first_after = index.at_or_after(q.end)
    if first_after < len(doc) and doc[first_after].idx < nxt:
        sent_end = index.sentence(first_after)[1]
        after = [t for t in doc[first_after:sent_end] if t.idx < nxt]
        dash = _dash_name(doc, text, index, q.end, nxt)
        if dash is not None:
            return _candidate(q, None, dash[0], "dash", cue_text=dash[1])
        found = _cue_in(after, inside_quote, last=False, main_only=_ends_sentence(content))
        if found is not None:
            return _candidate(q, found[0], found[1], "quote-cue")
        for tok in after:
            if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
                src = next((c for c in doc[tok.i + 1].children if c.dep_ == "pobj"), None)
                if src is not None:
                    return _candidate(q, None, src, "quote-cue", cue_text="according to")
    # Before the quote, from the start of its sentence or the previous quote.
    last_before = index.before(q.start)
    if last_before >= 0 and doc[last_before].idx >= prv:
        sent_start = index.sentence(last_before)[0]
        before = [t for t in doc[sent_start:last_before + 1] if t.idx >= prv]
        found = _cue_in(before, inside_quote, last=True)
        if found is not None and (before[-1].text in (":", ",") or before[-1].i - found[0].i <= 2):
            return _candidate(q, found[0], found[1], "quote-cue")
    if embedded or _aside(content):
        return None
    starts_paragraph = not text[p_start:q.start].strip()
    if starts_paragraph and q.paragraph > 0:
        prev_start, prev_end = paragraphs[q.paragraph - 1]
        if text[prev_start:prev_end].rstrip().endswith(":"):
            last_tok = index.before(prev_end)
            if last_tok >= 0:
                s_start, s_end = index.sentence(last_tok)
                found = _cue_in([t for t in doc[s_start:s_end] if t.idx >= prev_start], inside_quote, last=True)
                if found is not None:
                    return _candidate(q, found[0], found[1], "colon")
    if q.continued:
        return _candidate(q, None, None, "continued")
    if k > 0 and quotes[k - 1].paragraph == q.paragraph:
        return _candidate(q, None, None, "same-paragraph")
    if n_words < 3 or is_title_like(content):
        return None
    if starts_paragraph:
        return _candidate(q, None, None, "previous-paragraph")
    return _candidate(q, None, None, "last-named")
