"""Reported speech: which cue verbs report a claim, and who the speaker is.

Where each claim's words start and end is `contents.py`'s business; this module finds the
cues (speech verbs, "according to", "as X put it", parenthetical "she added") and their
speakers.

The rules read spaCy's dependency parse. The small English model misattaches often in
long news sentences, so each rule also accepts the few wrong shapes it habitually
produces (a subject parsed as the verb's object, a "that" clause hung on "statement").
"""
from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc, Token

from . import stance
from .candidates import Candidate
from .contents import (DATIVE_CUES, clause_tokens, complement, finite, infinitive, is_question, object_content,
                       that_clause, trim)
from .cues import AS_CUES, COGNITION, CUE_WEIGHT, OBJECT_CUES, QUESTION_VERBS, QUOTE_ONLY, THAT_ONLY, cue_lemma, cue_weight
from .tokens import TokenIndex

# Subjects that never name a claim's speaker (relative and demonstrative pronouns, the
# reporter's own "I" and "we", a possessive's clitic).
NON_SPEAKERS = frozenset({"that", "this", "which", "what", "there", "i", "we", "you", "me", "us",
                          "who", "whoever", "'s", "’s"})
# Events at which people speak, never speakers themselves.
_OCCASIONS = frozenset({
    "conference", "briefing", "speech", "address", "interview", "rally", "hearing", "meeting",
    "appearance", "event", "debate", "session", "summit", "forum", "ceremony", "broadcast",
    "podcast", "show", "program", "programme", "call", "visit", "remarks", "testimony",
})
# Entities a "who" clause does not describe.
_NOT_WHO = frozenset({"GPE", "LOC", "FAC", "ORG"})
# How strongly "asked whether X" reports a question put in public.
_QUESTION_WEIGHT = 0.7


def subject_of(verb: Token, depth: int = 0) -> Token | None:
    """The head of the phrase naming whoever performs `verb`.

    Shared subjects are followed up through coordination and participle clauses ("She
    resigned and said ...", "..., saying ..."), a relative clause's subject is the noun it
    modifies, and a few constructions name the speaker elsewhere (see `_implied_subject`).
    """
    subjects = [c for c in verb.children if c.dep_ == "nsubj"]
    if subjects:
        if subjects[0].lower_ in ("who", "that", "which") and verb.dep_ == "relcl":
            return _antecedent(verb.head) if subjects[0].lower_ == "who" else verb.head
        # "The fund's chair, Grace Liu, said": the parser gives the verb both phrases as
        # subjects; the name is the speaker, the role is its description.
        return next((c for c in subjects if c.tag_ in ("NNP", "NNPS")), subjects[0])
    if depth > 3:
        return None
    implied = _implied_subject(verb, depth)
    if implied is not None:
        return implied
    if verb.dep_ == "relcl":
        return verb.head
    if verb.dep_ == "conj" and verb.head.dep_ in ("ccomp", "advcl") and cue_lemma(verb) is not None \
            and cue_lemma(verb.head.head) is not None:
        # "said pensioners could not pay, and accused the board ...": the second cue was
        # hung on the reported clause but shares the first cue's subject.
        return subject_of(verb.head.head, depth + 1)
    if verb.dep_ in ("conj", "advcl", "xcomp") and verb.head.tag_.startswith("VB"):
        return subject_of(verb.head, depth + 1)
    for child in verb.lefts:
        if child.dep_ in ("ccomp", "advcl", "parataxis") and child.tag_ in ("VBN", "VBD"):
            for grandchild in child.children:
                if grandchild.dep_ == "nsubj" and grandchild.i < child.i:
                    return grandchild
    return None


def is_age_description(tok: Token) -> bool:
    """"The 61-year-old", "the 45-year-old": a person described by age, which the entity
    recogniser tags as a date."""
    return tok.lower_ == "old" and any(c.lower_ in ("year", "years") for c in tok.children)


def _implied_subject(verb: Token, depth: int) -> Token | None:
    """The speaker of a cue without a subject of its own, named by the construction around it.

    "footage of the senator saying ...", "a letter saying ...": the noun speaks, unless it
    is an occasion ("at a news conference announcing ..."), when whoever spoke at it does.
    "Amsel was the first to warn ...": the copula's subject. "Berg was quoted as saying ...":
    the passive subject. "pressed the minister to concede ...": the object of "pressed"
    ("promised to say ..." has no object, and its own subject speaks).
    """
    head = verb.head
    if verb.dep_ == "acl" and verb.tag_ == "VBG" and head.tag_.startswith("NN"):
        if head.lower_ not in _OCCASIONS:
            return head
        holder = head.head.head if head.dep_ == "pobj" else None
        return subject_of(holder, depth + 1) if holder is not None and holder.tag_.startswith("VB") else None
    if verb.dep_ in ("relcl", "acl") and infinitive(verb) and head.dep_ == "attr":
        return subject_of(head.head, depth + 1)
    if verb.dep_ == "pcomp" and head.lower_ == "as" and head.head.tag_.startswith("VB"):
        return next((c for c in head.head.children if c.dep_ in ("nsubjpass", "nsubj")), None)
    if verb.dep_ == "xcomp" and head.tag_.startswith("VB"):
        obj = next((c for c in head.children if c.dep_ == "dobj" and c.i < verb.i), None)
        if obj is not None and obj.lower_ not in ("it", "this", "that"):
            return obj
    return None


def _antecedent(noun: Token) -> Token:
    """Whom a "who" clause describes: "lawmakers in Ohio, who argued ..." are the lawmakers,
    not the place or body the parser attached "who" to."""
    if noun.dep_ == "pobj" and noun.ent_type_ in _NOT_WHO and noun.head.head.tag_ in ("NNS", "NNPS", "NN", "NNP"):
        return noun.head.head
    return noun


def _cue_text(doc: Doc, verb: Token, lemma: str, content_first: int) -> str:
    """The cue phrase as written: the verb plus its particle or its addressee."""
    first = last = verb.i
    for child in verb.rights:
        if child.i >= content_first and content_first > verb.i:
            break
        if child.dep_ == "prt" or (lemma in DATIVE_CUES and child.dep_ in ("dobj", "dative")
                                   and child.right_edge.i - verb.i <= 4):
            last = max(last, child.right_edge.i)
    return doc[first:last + 1].text


def _parenthetical(verb: Token) -> tuple[int, int] | None:
    """Content of a sentence the cue interrupts or closes ("X, she added, was Y")."""
    head = verb.head
    if verb.dep_ not in ("parataxis", "ccomp") or head is verb or not head.tag_.startswith(("VB", "MD", "JJ")):
        return None
    if verb.dep_ == "ccomp" and not (verb.i > head.i and _has_comma_before(verb)):
        return None
    sub_first, sub_last = verb.left_edge.i, verb.right_edge.i
    first, last = head.left_edge.i, head.right_edge.i
    if sub_last >= last:
        last = sub_first - 1
    elif sub_first <= first:
        first = sub_last + 1
    return trim(verb.doc, first, last)


def _as_put_it(verb: Token) -> str | None:
    """"As the minister put it, ...": an idiom that attributes the sentence it opens or closes."""
    if verb.lower_ not in ("put", "puts") or not verb.tag_.startswith("VB"):
        return None
    has_it = any(c.dep_ == "dobj" and c.lower_ == "it" for c in verb.children)
    return "put" if has_it and _mark(verb) == "as" else None


def _mark(verb: Token) -> str | None:
    return next((c.lower_ for c in verb.children if c.dep_ == "mark"), None)


def _as_parenthetical(verb: Token) -> tuple[int, int] | None:
    """The sentence an "as X said" clause attributes ("As Lund noted, the museum is empty").

    Only a bare "as" clause counts: one with its own object or clause ("as she said
    this", "as he told them the news") is a time or manner clause, not an attribution.
    """
    head = verb.head
    if verb.dep_ != "advcl" or _mark(verb) != "as" or head is verb or not head.tag_.startswith(("VB", "MD", "JJ")):
        return None
    if any(c.dep_ in ("ccomp", "xcomp") or c.dep_ == "dobj" and c.lower_ != "it" for c in verb.children):
        return None
    if verb.i < head.i:
        first, last = verb.right_edge.i + 1, head.right_edge.i
    else:
        first, last = head.left_edge.i, verb.left_edge.i - 1
    return trim(verb.doc, first, last)


def _has_comma_before(verb: Token) -> bool:
    doc = verb.doc
    start = verb.left_edge.i
    return start > 0 and doc[start - 1].text in (",", "—", "–")


def can_speak(subject: Token | None, inside_quote: Callable[[int], bool],
              refused: frozenset[str] = NON_SPEAKERS) -> bool:
    """Whether a cue's subject can be the speaker of what it reports: not a word in `refused`,
    not inside a quotation, and not a date or time ("Monday said ..." is a parse error), unless
    the date describes a person by age ("the 61-year-old said ...")."""
    if subject is None or subject.lower_ in refused or inside_quote(subject.idx):
        return False
    return subject.ent_type_ not in ("DATE", "TIME") or is_age_description(subject)


def find_reported(doc: Doc, index: TokenIndex, inside_quote: Callable[[int], bool]) -> list[Candidate]:
    """Every reported clause whose cue lies outside direct quotations."""
    found: list[Candidate] = []
    for tok in doc:
        if tok.lower_ == "according":
            cand = _according(doc, tok, index, inside_quote)
            if cand:
                found.append(cand)
            continue
        lemma = cue_lemma(tok) or _as_put_it(tok)
        if lemma is None or inside_quote(tok.idx):
            continue
        asked = _asked_clause(tok, lemma)
        if asked is None and (lemma in QUOTE_ONLY or lemma in QUESTION_VERBS):
            continue
        subject = subject_of(tok)
        if not can_speak(subject, inside_quote):
            continue
        comp = asked or complement(tok)
        span = None
        if lemma in THAT_ONLY and comp is not None and comp is not that_clause(tok) and not _has_that(comp):
            continue
        if comp is not None:
            if asked is None and is_question(comp):
                continue
            span = clause_tokens(tok, comp)
        elif lemma not in COGNITION and lemma not in THAT_ONLY:
            span = _parenthetical(tok) or (_as_parenthetical(tok) if lemma in CUE_WEIGHT or lemma in AS_CUES else None)
        weight = AS_CUES.get(lemma) or cue_weight(lemma)
        if asked is not None:
            weight = _QUESTION_WEIGHT
        if span is None and lemma in OBJECT_CUES and finite(tok) and tok.dep_ != "relcl":
            span = object_content(tok, lemma)
            weight = OBJECT_CUES[lemma][1]
        if span is None:
            continue
        first, last = span
        if first <= subject.i <= last and not first <= tok.i <= last:
            continue
        if asked is not None:
            first = _after_question_word(doc, first, last)
        said = stance.of_cue(lemma, stance.negated(tok))
        denied = stance.denial_frame(doc, first, last) if said == "asserts" and not stance.negated(tok) else None
        if denied is not None:
            first, said = denied, "denies"
        cue = _cue_text(doc, tok, lemma, first)
        found.append(Candidate(
            start=doc[first].idx, end=doc[last].idx + len(doc[last]), type="indirect",
            cue=cue, source="clause", subject=subject.i, cue_token=tok.i, cue_lemma=lemma, cue_weight=weight,
            negated=stance.negated(tok), stance=said))
    return found


def _asked_clause(verb: Token, lemma: str) -> Token | None:
    """The yes/no question a speaker put ("asked whether ...", "wondered if ...", "doubted
    whether ..."): reported with the stance `questions`, never as an assertion.

    Only an active, finite asking counts: in "Asked whether he would run, Smith said ..." or
    "was asked if ..." someone else asked, and the subject is the one who answered.
    """
    if lemma not in QUESTION_VERBS and lemma != "doubt":
        return None
    if not finite(verb) or not any(c.dep_ == "nsubj" for c in verb.children):
        return None
    asked = next((c for c in verb.rights if c.dep_ in ("ccomp", "advcl")
                  and any(m.dep_ == "mark" and m.lower_ in ("whether", "if") for m in c.children)), None)
    if asked is None:
        return None
    # "Vasquez, asked whether ..., said ...": a reduced passive the parser took for a verb
    # with a subject; the cue that follows the question is what Vasquez did.
    after = asked.right_edge.i + 1
    doc = verb.doc
    if after + 1 < len(doc) and doc[after].text == "," and cue_lemma(doc[after + 1]) is not None:
        return None
    return asked


def _after_question_word(doc: Doc, first: int, last: int) -> int:
    """The asked clause without its "whether"/"if" (what a verdict would be about)."""
    if first < last and doc[first].lower_ in ("whether", "if"):
        first += 1
        if first < last and doc[first].lower_ == "or" and doc[first + 1].lower_ == "not":
            first += 2
    return first


def _has_that(clause: Token) -> bool:
    return any(c.dep_ == "mark" and c.lower_ == "that" for c in clause.children)


def _word_bounds(doc: Doc, first: int, last: int) -> tuple[int, int]:
    """The first and last word of a sentence: the paragraph break and final stop are not words."""
    while first < last and (doc[first].is_space or doc[first].is_punct):
        first += 1
    while last > first and (doc[last].is_space or doc[last].is_punct):
        last -= 1
    return first, last


def _according(doc: Doc, tok: Token, index: TokenIndex, inside_quote: Callable[[int], bool]) -> Candidate | None:
    to = next((c for c in tok.children if c.lower_ == "to"), None)
    if to is None and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
        to = doc[tok.i + 1]
    if to is None or inside_quote(tok.idx):
        return None
    source = next((c for c in to.children if c.dep_ == "pobj"), None)
    if source is None:
        return None
    sent_start, sent_end = index.sentence(tok.i)
    phrase_first, phrase_last = tok.i, max(tok.right_edge.i, source.right_edge.i)
    first, last = _word_bounds(doc, sent_start, sent_end - 1)
    if phrase_first <= first + 1:
        first = phrase_last + 1
    elif phrase_last >= last - 1:
        last = phrase_first - 1
    else:
        return None
    span = trim(doc, first, last)
    if span is None or span[1] - span[0] < 2:
        return None
    first, last = span
    return Candidate(
        start=doc[first].idx, end=doc[last].idx + len(doc[last]), type="indirect",
        cue=doc[tok.i:to.i + 1].text, source="according", subject=source.i, cue_token=tok.i,
        cue_lemma="according to", cue_weight=0.9)
