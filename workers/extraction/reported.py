"""Reported speech: clauses governed by a cue verb, and "according to" sentences.

The rules read spaCy's dependency parse. The small English model misattaches often in
long news sentences, so each rule also accepts the few wrong shapes it habitually
produces (a subject parsed as the verb's object, a "that" clause hung on "statement").
"""
from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc, Token

from .candidates import Candidate
from .cues import COGNITION, OBJECT_CUES, QUESTION_VERBS, QUOTE_ONLY, cue_lemma, cue_weight
from .tokens import TokenIndex

_DATIVE_CUES = frozenset({"tell", "inform", "assure", "reassure", "remind", "warn", "notify", "advise"})
_QUESTION_STARTS = frozenset({"whether", "if", "why", "how", "who", "whom", "what", "when", "where", "which"})
_NON_SPEAKERS = frozenset({"that", "this", "which", "what", "there", "i", "we", "you", "me", "us",
                           "who", "whoever"})
_STRIP_LEFT = frozenset({"that", "but", "and", ",", ":", ";", "-", "—", "–"})
_STRIP_RIGHT = frozenset({",", ":", ";", "-", "—", "–", "."})


def subject_of(verb: Token, depth: int = 0) -> Token | None:
    """The head of the phrase naming whoever performs `verb`.

    Shared subjects are followed up through coordination and participle clauses ("She
    resigned and said ...", "..., saying ..."), and a relative clause's subject is the
    noun it modifies.
    """
    for child in verb.children:
        if child.dep_ == "nsubj":
            if child.lower_ in ("who", "that") and verb.dep_ == "relcl":
                return verb.head
            return child
    if depth > 3:
        return None
    if verb.dep_ == "relcl":
        return verb.head
    if verb.dep_ == "conj" and verb.head.dep_ == "ccomp" and cue_lemma(verb) is not None \
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


def _is_question(comp: Token) -> bool:
    """An embedded question ("asked whether ...", "did not say when ..."), not an assertion."""
    if any(c.dep_ == "mark" and c.lower_ in ("whether", "if") for c in comp.children):
        return True
    first = comp.left_edge
    return first.lower_ in _QUESTION_STARTS and first.tag_.startswith("W") and first.head is comp


def _that_clause(verb: Token) -> Token | None:
    """A "that" clause the parser hung below the cue's prepositional phrase or object."""
    for child in verb.rights:
        if child.dep_ not in ("prep", "dobj", "npadvmod", "dative", "advmod"):
            continue
        for tok in child.subtree:
            if tok.dep_ in ("acl", "ccomp", "advcl", "relcl") and any(
                    c.dep_ == "mark" and c.lower_ == "that" for c in tok.children):
                return tok
    return None


def complement(verb: Token) -> Token | None:
    """The clause the cue verb reports, preferring one after the verb."""
    comps = [c for c in verb.children if c.dep_ == "ccomp"]
    right = [c for c in comps if c.i > verb.i]
    if right:
        return right[0]
    if comps:
        left = comps[-1]
        # "The coach, asked whether ..., said" parses the question as the verb's ccomp.
        reduced = left.tag_ == "VBN" and not any(c.dep_ in ("aux", "auxpass") for c in left.children)
        if cue_lemma(left) in QUESTION_VERBS or reduced and _has_comma_after(left, verb):
            return _that_clause(verb)
        return left
    return _that_clause(verb)


def _has_comma_after(clause: Token, verb: Token) -> bool:
    doc = verb.doc
    return any(doc[i].text == "," for i in range(clause.right_edge.i + 1, verb.i))


def _trim(doc: Doc, first: int, last: int) -> tuple[int, int] | None:
    while first <= last and (doc[first].lower_ in _STRIP_LEFT or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].text in _STRIP_RIGHT or doc[last].is_space):
        last -= 1
    return (first, last) if first <= last else None


def clause_tokens(verb: Token, comp: Token) -> tuple[int, int] | None:
    """First and last token of the reported clause, "that" and edge punctuation removed."""
    first, last = comp.left_edge.i, comp.right_edge.i
    if comp.i > verb.i and not any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in comp.children):
        # "said her team ... had finished": the clause's subject parsed as the verb's object.
        for child in verb.rights:
            if child.dep_ == "dobj" and verb.i < child.i < comp.left_edge.i and cue_lemma(verb) not in _DATIVE_CUES:
                first = child.left_edge.i
    if first <= verb.i <= last:
        return None
    last = _cut_tail(verb.doc, comp, first, last)
    return _trim(verb.doc, first, last)


def _cut_tail(doc: Doc, comp: Token, first: int, last: int) -> int:
    """End the clause before what the parser wrongly hung on it.

    A semicolon starts a new sentence in all but name; a coordinated speech verb without
    its own subject ("... and warned that ...") or a trailing "..., citing ..." is a further
    act of the speaker, not part of what was said.
    """
    for tok in doc[first:last + 1]:
        if tok.text == ";" and tok.i > first:
            return tok.i - 1
        if tok.i > comp.i and tok.head.i == comp.i and (
                tok.dep_ == "conj" and cue_lemma(tok) is not None and cue_lemma(tok) not in COGNITION
                and not any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.children)
                or tok.dep_ == "advcl" and tok.tag_ == "VBG" and (cue_lemma(tok) is not None or tok.lower_ == "citing")):
            end = tok.left_edge.i - 1
            while end > first and (doc[end].dep_ == "cc" or doc[end].is_punct):
                end -= 1
            return end
    return last


_EMPTY_OBJECTS = frozenset({"it", "this", "that", "so", "much", "nothing", "something", "anything",
                            "everything", "them", "him", "her", "what", "which", "more", "less"})


def _child(verb: Token, deps: tuple[str, ...], word: str | None = None) -> Token | None:
    return next((c for c in verb.rights if c.dep_ in deps and (word is None or c.lower_ == word)), None)


def object_content(verb: Token, lemma: str) -> tuple[int, int] | None:
    """The noun phrase or infinitive a speech act is about ("vowed to cut taxes").

    Each verb licenses only the shapes listed for it in the lexicon, so "called the
    police" or "denied him" stay out: what remains is content a reader can check.
    """
    shapes, _ = OBJECT_CUES[lemma]
    dobj = _child(verb, ("dobj",))
    for shape in shapes.split():
        span = None
        if shape == "dobj" and dobj is not None and dobj.lower_ not in _EMPTY_OBJECTS \
                and dobj.right_edge.i - dobj.left_edge.i >= 3:
            span = dobj.left_edge.i, dobj.right_edge.i
        elif shape == "xcomp":
            x = _child(verb, ("xcomp",))
            if x is not None and any(c.lower_ == "to" for c in x.children):
                span = x.left_edge.i, x.right_edge.i
        elif "+" in shape:
            first, second = shape.split("+")
            a = dobj if first == "dobj" else _child(verb, ("prep",), first)
            if a is None:
                continue
            if second in ("xcomp", "oprd"):
                b = _child(verb, (second, "ccomp")) or _child(a, (second,))
            else:
                b = _child(verb, ("prep",), second) or _child(a, ("prep",), second)
            if b is None:
                continue
            start = a.left_edge.i if first == "dobj" else (_child(a, ("pobj",)) or a).left_edge.i
            span = start, max(a.right_edge.i, b.right_edge.i)
        else:
            prep = _child(verb, ("prep",), shape)
            pobj = _child(prep, ("pobj", "pcomp")) if prep is not None else None
            if pobj is not None:
                span = pobj.left_edge.i, pobj.right_edge.i
        if span is not None:
            first_i, last_i = span
            trimmed = _trim(verb.doc, first_i, _cut_tail(verb.doc, verb.doc[first_i], first_i, last_i))
            if trimmed is not None and trimmed[1] - trimmed[0] >= 1:
                return trimmed
    return None


def _finite(verb: Token) -> bool:
    """A main assertion rather than background ("with both parties accusing ...")."""
    if verb.tag_ in ("VBD", "VBZ", "VBP"):
        return True
    return any(c.dep_ in ("aux", "auxpass") and c.lower_ != "to" for c in verb.children)


def _cue_text(doc: Doc, verb: Token, lemma: str, content_first: int) -> str:
    """The cue phrase as written: the verb plus its particle or its addressee."""
    first = last = verb.i
    for child in verb.rights:
        if child.i >= content_first and content_first > verb.i:
            break
        if child.dep_ == "prt" or (lemma in _DATIVE_CUES and child.dep_ in ("dobj", "dative")
                                   and child.right_edge.i - verb.i <= 4):
            last = max(last, child.right_edge.i)
    return doc[first:last + 1].text


def _negated(verb: Token) -> bool:
    return any(c.dep_ == "neg" for c in verb.children)


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
    return _trim(verb.doc, first, last)


def _has_comma_before(verb: Token) -> bool:
    doc = verb.doc
    start = verb.left_edge.i
    return start > 0 and doc[start - 1].text in (",", "—", "–")


def find_reported(doc: Doc, index: TokenIndex, inside_quote: Callable[[int], bool],
                  paragraph_of: Callable[[int], int]) -> list[Candidate]:
    """Every reported clause whose cue lies outside direct quotations."""
    found: list[Candidate] = []
    for tok in doc:
        if tok.lower_ == "according":
            cand = _according(doc, tok, index, inside_quote, paragraph_of)
            if cand:
                found.append(cand)
            continue
        lemma = cue_lemma(tok)
        if lemma is None or lemma in QUOTE_ONLY or lemma in QUESTION_VERBS or inside_quote(tok.idx):
            continue
        subject = subject_of(tok)
        if subject is None or subject.lower_ in _NON_SPEAKERS or inside_quote(subject.idx) \
                or subject.ent_type_ in ("DATE", "TIME"):
            continue
        comp = complement(tok)
        span = None
        if comp is not None:
            if _is_question(comp):
                continue
            span = clause_tokens(tok, comp)
        elif lemma not in COGNITION:
            span = _parenthetical(tok)
        weight = cue_weight(lemma)
        if span is None and lemma in OBJECT_CUES and _finite(tok) and tok.dep_ != "relcl":
            span = object_content(tok, lemma)
            weight = OBJECT_CUES[lemma][1]
        if span is None:
            continue
        first, last = span
        if first <= subject.i <= last and not first <= tok.i <= last:
            continue
        cue = _cue_text(doc, tok, lemma, first)
        found.append(Candidate(
            start=doc[first].idx, end=doc[last].idx + len(doc[last]), type="indirect",
            cue=cue, source="clause", paragraph=paragraph_of(doc[first].idx),
            subject=subject.i, cue_token=tok.i, cue_lemma=lemma, cue_weight=weight,
            negated=_negated(tok)))
    return found


def _according(doc: Doc, tok: Token, index: TokenIndex, inside_quote: Callable[[int], bool],
               paragraph_of: Callable[[int], int]) -> Candidate | None:
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
    first, last = sent_start, sent_end - 1
    if phrase_first <= first + 1:
        first = phrase_last + 1
    elif phrase_last >= last - 1:
        last = phrase_first - 1
    else:
        return None
    span = _trim(doc, first, last)
    if span is None or span[1] - span[0] < 2:
        return None
    first, last = span
    return Candidate(
        start=doc[first].idx, end=doc[last].idx + len(doc[last]), type="indirect",
        cue=doc[tok.i:to.i + 1].text, source="according",
        paragraph=paragraph_of(doc[first].idx), subject=source.i, cue_token=tok.i,
        cue_lemma="according to", cue_weight=0.9)
