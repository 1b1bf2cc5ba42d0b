"""The encoder's attributions beside the rules' ones: one claim per attribution.

The fine-tuned encoder (encoder.py) marks source, cue and content tokens; here its spans become
candidates of their own kind ("model"): a content span, the nearest cue in its sentence
and the source nearest that cue. The rules stay in charge of what they do well: where a
model candidate covers the same words as a rule candidate, only the rule's comes out
(its quotation marks, its cue, its speaker); model candidates inside a quotation are
dropped, because quotation marks are the rules' business. A model candidate keeps the
source's head token as its subject, so its speaker goes through the same resolver as any
rule claim (names, titles, pronouns, organisations).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy
from spacy.tokens import Doc, Span

from . import stance
from .candidates import Candidate
from .cues import QUESTION_VERBS, cue_lemma
from .quotes import Quote, word_count
from .reported import subject_of
from .encoder import TaggedSpan, decode
from .tokens import TokenIndex

# A content span below this mean tag probability is left out (selected on PolNeAR dev).
MIN_SCORE = 0.65
# Contents shorter than this many words are too often a fragment or a pronoun ("it").
MIN_WORDS = 3
# Subjects that never name a speaker (relative and dummy pronouns).
_NOT_SPEAKERS = frozenset({"that", "this", "which", "what", "there", "it", "who", "whoever"})
_QUESTION_STARTS = frozenset({"whether", "if", "why", "how", "who", "whom", "what", "when", "where", "which"})
# Share of the shorter of two spans that must overlap for them to be one claim.
SAME_CLAIM = 0.5


@dataclass(frozen=True)
class _Link:
    content: tuple[int, int]  # tokens, end exclusive
    cue: TaggedSpan
    source: TaggedSpan | None
    score: float


def _head(doc: Doc, start: int, end: int) -> int:
    """The token of doc[start:end] whose head lies outside it (the last such, for names)."""
    span: Span = doc[start:end]
    return span.root.i


def _sentence_range(index: TokenIndex, first: int, last: int) -> tuple[int, int]:
    return index.sentence(first)[0], index.sentence(last)[1]


def _nearest(spans: list[TaggedSpan], start: int, end: int, lo: int, hi: int) -> TaggedSpan | None:
    """The span within tokens [lo, hi) outside [start, end) closest to that range."""
    best, best_gap = None, None
    for s in spans:
        if s.start < lo or s.end > hi or (s.start < end and s.end > start):
            continue
        gap = start - s.end if s.end <= start else s.start - end
        if best_gap is None or gap < best_gap:
            best, best_gap = s, gap
    return best


def _join_split_contents(contents: list[TaggedSpan], others: list[TaggedSpan], doc: Doc,
                         index: TokenIndex) -> list[TaggedSpan]:
    """"The plan, she said, is dead": two content spans around a source and cue in one
    sentence are one. Across a sentence break they are two claims, each with its own cue
    ("... under Trump's plan. The GOP candidate proposes allowing ...")."""
    marked = {i for s in others for i in range(s.start, s.end)}
    out: list[TaggedSpan] = []
    for c in contents:
        if out:
            prev = out[-1]
            gap = range(prev.end, c.start)
            if gap and index.sentence(prev.end - 1) == index.sentence(c.start) \
                    and any(i in marked for i in gap) and all(i in marked or doc[i].is_punct for i in gap):
                out[-1] = TaggedSpan(prev.kind, prev.start, c.end, min(prev.score, c.score))
                continue
        out.append(c)
    return out


def link(doc: Doc, spans: list[TaggedSpan], index: TokenIndex) -> list[_Link]:
    """Each content span with the cue nearest it in its sentences, and that cue's source."""
    contents = [s for s in spans if s.kind == "CONTENT"]
    cues = [s for s in spans if s.kind == "CUE"]
    sources = [s for s in spans if s.kind == "SOURCE"]
    contents = _join_split_contents(contents, cues + sources, doc, index)
    links = []
    for c in contents:
        lo, hi = _sentence_range(index, c.start, c.end - 1)
        cue = _nearest(cues, c.start, c.end, lo, hi)
        if cue is None:
            # "... the agency is reviewing more evidence": a cue inside the span splits it.
            inner = [s for s in cues if c.start < s.start and s.end < c.end]
            if not inner:
                continue
            cue = inner[0]
        src_lo, src_hi = index.sentence(cue.start)
        source = _nearest(sources, cue.start, cue.end, src_lo, src_hi)
        links.append(_Link((c.start, c.end), cue, source, c.score))
    return links


def _char_bounds(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Character span of tokens [start, end) without edge punctuation and spaces."""
    while start < end and (doc[start].is_punct and not doc[start].is_quote or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].is_punct and not doc[end - 1].is_quote or doc[end - 1].is_space):
        end -= 1
    if start >= end:
        return None
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def _type(start: int, end: int, quotes: list[Quote]) -> str | None:
    """"indirect", or "mixed" when a quotation lies inside; None when inside a quotation."""
    for q in quotes:
        if q.end <= start or q.start >= end:
            continue
        if q.content_start <= start and end <= q.content_end:
            return None
        return "mixed"
    return "indirect"


def model_candidates(doc: Doc, probs: numpy.ndarray, index: TokenIndex, quotes: list[Quote],
                     inside_quote: Callable[[int], bool], min_score: float | None = None) -> list[Candidate]:
    """Candidates from the encoder's spans, before they meet the rules' candidates."""
    min_score = MIN_SCORE if min_score is None else min_score
    article = doc.text  # Doc.text joins every token on each access
    out = []
    for ln in link(doc, decode(probs), index):
        if ln.score < min_score:
            continue
        cue_tok = _head(doc, ln.cue.start, ln.cue.end)
        subject = _speaker_head(doc, ln, cue_tok)
        if subject is None:
            continue
        bounds = _char_bounds(doc, *ln.content)
        if bounds is None:
            continue
        start, end = bounds
        text = article[start:end]
        if word_count(text) < MIN_WORDS:
            continue
        type_ = _type(start, end, quotes)
        if type_ is None or inside_quote(doc[subject].idx) or start <= doc[subject].idx < end:
            continue
        lemma = cue_lemma(doc[cue_tok]) or doc[cue_tok].lower_
        if lemma in QUESTION_VERBS or doc[ln.content[0]].lower_ in _QUESTION_STARTS:
            # A reported question is not a claim, as for the rules.
            continue
        out.append(Candidate(start=start, end=end, type=type_, cue=doc[ln.cue.start:ln.cue.end].text,
                             source="model", subject=subject, cue_token=cue_tok, cue_lemma=lemma,
                             cue_weight=round(ln.score, 3), stance=stance.of_cue(lemma)))
    return out


def _speaker_head(doc: Doc, ln: _Link, cue_tok: int) -> int | None:
    """The head of the speaker phrase: the verb cue's grammatical subject where the parse
    gives one outside the content, else the encoder's source span, else none.

    A passive cue has none: "Hoyle is expected to testify" is someone's expectation about
    Hoyle, not Hoyle's claim; the passive's subject is what was said about, not who said it.
    """
    cue = doc[cue_tok]
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in cue.children):
        return None
    if cue.tag_.startswith("VB"):
        subj = subject_of(cue)
        if subj is not None and not ln.content[0] <= subj.i < ln.content[1] and subj.lower_ not in _NOT_SPEAKERS:
            return subj.i
    if ln.source is not None:
        return _head(doc, ln.source.start, ln.source.end)
    return None


def _overlap(a: Candidate, b: Candidate) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    return inter / max(min(a.end - a.start, b.end - b.start), 1)


def fuse(rules: list[Candidate], model: list[Candidate]) -> list[Candidate]:
    """The rules' candidates and the model's that cover words no rule candidate covers.

    A model candidate over the same words as a rule candidate is the same claim: the
    rule's is kept, since it knows the quotation marks, cue and speaker phrase exactly.
    Two model candidates over the same words keep the more probable one.
    """
    kept = list(rules)
    added: list[Candidate] = []
    for m in sorted(model, key=lambda c: -c.cue_weight):
        if any(_overlap(m, r) >= SAME_CLAIM for r in kept) or any(_overlap(m, a) > 0 for a in added):
            continue
        added.append(m)
    return sorted(kept + added, key=lambda c: c.start)
