"""Where a cue's content starts and ends: reported clauses, noun phrases and infinitives.

The small parser often hangs a reported clause somewhere other than on its cue (under an
object, as an adverbial clause, split into sibling complements) and lets it run on into the
writer's own words (a further act of the speaker, a gloss on a name, a concession). These
functions find the clause a cue reports and cut it to what the speaker said; `reported.py`
decides which cues count, `learned.py` uses the same boundaries for the learned lexicon.
"""
from __future__ import annotations

from spacy.tokens import Doc, Token

from .cues import COGNITION, OBJECT_CUES, QUESTION_VERBS, cue_lemma

DATIVE_CUES = frozenset({"tell", "inform", "assure", "reassure", "remind", "warn", "notify", "advise"})
_QUESTION_STARTS = frozenset({"whether", "if", "why", "how", "who", "whom", "what", "when", "where", "which"})
_STRIP_LEFT = frozenset({"that", "but", "and", ",", ":", ";", "-", "—", "–"})
_STRIP_RIGHT = frozenset({",", ":", ";", "-", "—", "–", "."})
_CONCESSIVE = frozenset({"although", "though", "whereas"})
# A colon continuation longer than this is more likely a run-on paragraph than a list.
_MAX_CONTINUATION = 60


def is_question(comp: Token) -> bool:
    """An embedded question ("asked whether ...", "did not say when ..."), not an assertion."""
    if any(c.dep_ == "mark" and c.lower_ in ("whether", "if") for c in comp.children):
        return True
    first = comp.left_edge
    return first.lower_ in _QUESTION_STARTS and first.tag_.startswith("W") and first.head is comp


def that_clause(verb: Token) -> Token | None:
    """A "that" clause the parser hung below the cue's prepositional phrase or object."""
    for child in verb.rights:
        if child.dep_ not in ("prep", "dobj", "npadvmod", "dative", "advmod"):
            continue
        for tok in child.subtree:
            if tok.dep_ in ("acl", "ccomp", "advcl", "relcl") and any(
                    c.dep_ == "mark" and c.lower_ == "that" for c in tok.children) and not _inside_clause(tok, child):
                return tok
    return None


def _inside_clause(tok: Token, top: Token) -> bool:
    """Whether a clause hangs on a relative clause or another cue below `top`: then it is
    that clause's complement ("reassure farmers, who have argued that ..."), not the cue's."""
    node = tok.head
    while node.i != top.i and node.head.i != node.i:
        if node.dep_ in ("relcl", "acl") or cue_lemma(node) is not None:
            return True
        node = node.head
    return False


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
            return that_clause(verb)
        return left
    return that_clause(verb) or _clause_as_adverbial(verb)


def _clause_as_adverbial(verb: Token) -> Token | None:
    """A complement parsed as an adverbial clause ("said after the vote he would resign").

    A finite clause with its own subject and no subordinating word after the cue is what
    was said; one opened by "when", "because" or "if" is the circumstance of saying it.
    """
    for child in verb.rights:
        if child.dep_ != "advcl" or not child.tag_.startswith("VB") or not finite(child):
            continue
        if not any(c.dep_ in ("nsubj", "nsubjpass", "expl") and c.i < child.i for c in child.children):
            continue
        if any((c.dep_ == "mark" or c.tag_ in ("WRB", "WDT", "WP")) and c.lower_ != "that" and c.i < child.i
               for c in child.children):
            continue
        return child
    return None


def _has_comma_after(clause: Token, verb: Token) -> bool:
    doc = verb.doc
    return any(doc[i].text == "," for i in range(clause.right_edge.i + 1, verb.i))


def trim(doc: Doc, first: int, last: int) -> tuple[int, int] | None:
    while first <= last and (doc[first].lower_ in _STRIP_LEFT or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].text in _STRIP_RIGHT or doc[last].is_space):
        last -= 1
    return (first, last) if first <= last else None


def clause_tokens(verb: Token, comp: Token) -> tuple[int, int] | None:
    """First and last token of the reported clause, "that" and edge punctuation removed."""
    doc = verb.doc
    first, last = comp.left_edge.i, comp.right_edge.i
    if comp.i > verb.i:
        last = _further_complements(verb, comp, last)
        if comp.dep_ == "advcl":
            first = _subject_start(comp, first)
        elif not any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in comp.children):
            # "said her team ... had finished": the clause's subject parsed as the verb's object.
            for child in verb.rights:
                if child.dep_ == "dobj" and verb.i < child.i < comp.left_edge.i and cue_lemma(verb) not in DATIVE_CUES:
                    first = child.left_edge.i
    else:
        first = _after_lead_in(doc, _sentence_lead(verb, comp, _earlier_complements(verb, comp, first)), last)
    if first <= verb.i <= last:
        first = _relative_start(verb, comp)
        if first is None:
            return None
    last = cut_tail(doc, comp, first, last)
    if comp.i > verb.i:
        last = _colon_continuation(doc, last)
    return trim(doc, first, last)


def _sequel(conj: Token) -> bool:
    """A conjunct of the cue that is more of what was said, not a further act of the speaker.

    One that opens with a quotation ("says the bridge is "perfectly safe" but "nobody
    checks it"") or one without a subject of its own whose verb is modal ("says the toll
    would cost drivers at first but would pay for itself later"): speakers' acts are
    reported in the past, not as what they would do.
    """
    if conj.dep_ != "conj":
        return False
    if conj.doc[conj.left_edge.i].tag_ == "``":
        return True
    modal = any(c.tag_ == "MD" for c in conj.children)
    return modal and not any(c.dep_ in ("nsubj", "nsubjpass") for c in conj.children)


def _subject_start(clause: Token, first: int) -> int:
    """A rescued adverbial complement starts at its subject: a phrase before it belongs to the cue."""
    subject = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass", "expl")), None)
    return subject.left_edge.i if subject is not None else first


def _further_complements(verb: Token, comp: Token, last: int) -> int:
    """The end of a reported clause the parser split into sibling complements of the cue.

    "said the coach trusts her players and the defeat was a lesson for everyone" can come
    back as two clausal complements of "said"; both are what was said when only
    a conjunction or a comma separates them. So is a clause the parser coordinated with the
    cue that continues the reported one (see `_sequel`).
    """
    doc = verb.doc
    for other in verb.rights:
        if other.i <= comp.i or other.dep_ != "ccomp" and not _sequel(other):
            continue
        gap = doc[last + 1:other.left_edge.i]
        if any(not (t.dep_ == "cc" or t.text == ",") for t in gap):
            break
        last = max(last, other.right_edge.i)
    return last


def _earlier_complements(verb: Token, comp: Token, first: int) -> int:
    """The start of a reported clause closed by its cue and split into sibling complements
    ("X had told police that ..., but the police overruled it, the source added")."""
    doc = verb.doc
    for other in reversed([c for c in verb.lefts if c.dep_ == "ccomp" and c.i < comp.i]):
        gap = doc[other.right_edge.i + 1:first]
        if any(not (t.dep_ == "cc" or t.text == ",") for t in gap):
            break
        first = other.left_edge.i
    return first


def _sentence_lead(verb: Token, comp: Token, first: int) -> int:
    """Where a reported clause closed by its attribution starts ("A, but B, a source said").

    The parser often makes the cue a conjunct of the first clause's verb and takes only
    the last clause as its complement; everything before the attribution was said.
    """
    head = verb.head
    if verb.dep_ not in ("conj", "parataxis") or head.i >= comp.left_edge.i:
        return first
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subject is None or subject.i < comp.right_edge.i:
        return first
    return min(first, head.left_edge.i)


def _after_lead_in(doc: Doc, first: int, last: int) -> int:
    """Skip a lead-in ending with a colon ("She turned to him: ... , she said"): not what was said."""
    colons = [t.i for t in doc[first:last + 1] if t.text == ":"]
    return colons[-1] + 1 if colons and colons[-1] < last else first


def _relative_start(verb: Token, comp: Token) -> int | None:
    """Content of a cue inside a relative clause ("donations, which he said were tainted").

    The relative pronoun opens the complement but stands before the cue; what was said is
    the rest of the complement after the cue.
    """
    if verb.dep_ != "relcl":
        return None
    pronoun = comp.left_edge
    if pronoun.tag_ not in ("WDT", "WP") or pronoun.i > verb.i:
        return None
    before = [t for t in comp.subtree if t.i < verb.i]
    if before != [pronoun]:
        return None
    return next((t.i for t in comp.subtree if t.i > verb.i), None)


def _colon_continuation(doc: Doc, last: int) -> int:
    """Extend a reported clause over the colon that lists what it announced.

    "noted that three things were happening: prices rose, rates fell ..." is one claim;
    a colon before a quotation is left alone (the quotation is attributed on its own).
    """
    colon = last + 1
    if colon + 1 >= len(doc) or doc[colon].text != ":" or doc[colon + 1].is_sent_start:
        return last
    nxt = doc[colon + 1]
    if nxt.is_quote or nxt.is_space:
        return last
    end = colon + 1
    while end + 1 < len(doc) and not doc[end + 1].is_sent_start and not doc[end + 1].is_space \
            and end - colon < _MAX_CONTINUATION:
        end += 1
    return end


def cut_tail(doc: Doc, comp: Token, first: int, last: int) -> int:
    """End the clause before what the parser wrongly hung on it.

    A semicolon starts a new sentence in all but name, and a closing description of a name
    is the writer's gloss. A coordinated speech verb without its own subject ("... and
    warned that ...") or a trailing "..., citing ..." is a further act of the speaker, not
    part of what was said; a subordinate clause with a speaker of its own ("..., though she
    noted ...") or a concession about the speaker ("..., although he refused to ...") is
    the writer's account, not the speaker's words.
    """
    for tok in doc[first:last + 1]:
        if tok.text == ";" and tok.i > first:
            return tok.i - 1
        if _closing_gloss(tok, first, last) or _closing_relative(tok, first, last):
            return tok.left_edge.i - 2
        if tok.i > comp.i and tok.head.i == comp.i and (
                _further_act(tok) or _own_speaker_clause(tok) or _own_speaker_conjunct(tok)
                or tok.dep_ == "advcl" and tok.tag_ == "VBG" and (cue_lemma(tok) is not None or tok.lower_ == "citing")):
            end = tok.left_edge.i - 1
            while end > first and (doc[end].dep_ == "cc" or doc[end].is_punct):
                end -= 1
            return end
    return last


def _closing_gloss(tok: Token, first: int, last: int) -> bool:
    """The writer's description of a name that ends the clause ("..., Halden, the port that ...").

    A reporter glosses names for the reader; the speaker said the name, not the gloss.
    """
    if tok.dep_ != "appos" or tok.head.tag_ not in ("NNP", "NNPS") or tok.right_edge.i < last:
        return False
    start = tok.left_edge.i
    return start - 2 > first and tok.doc[start - 1].text == "," and tok.head.i < start


def _closing_relative(tok: Token, first: int, last: int) -> bool:
    """A "..., who ..." clause on a name that ends the content: the writer's aside about a
    person or body the speaker named ("will not pardon Dana Holt, who has not been charged").
    One on a common noun ("a staged rollout, which the firm had skipped") is usually part of
    the claim."""
    if tok.dep_ != "relcl" or tok.right_edge.i < last or tok.head.tag_ not in ("NNP", "NNPS"):
        return False
    start = tok.left_edge.i
    doc = tok.doc
    return start - 2 > first and doc[start - 1].text == "," and doc[start].lower_ in ("which", "who", "whom", "whose") \
        and tok.head.i < start


def _further_act(tok: Token) -> bool:
    """"said X, and warned that Y": a coordinated, finite speech verb without a subject of its own.

    "says the toll would cost drivers but would add lanes later" is a modal verb inside
    the claim, however much "add" looks like a speech verb.
    """
    lemma = cue_lemma(tok)
    if tok.dep_ != "conj" or lemma is None or lemma in COGNITION or tok.tag_ in ("VB", "VBG"):
        return False
    return not any(c.dep_ in ("nsubj", "nsubjpass") or c.tag_ == "MD" for c in tok.children)


def _own_speaker_conjunct(tok: Token) -> bool:
    """"said the port would lose money, and the chairman replied that ...": a coordinated
    clause that reports someone's speech with its own subject is a new attribution, not
    part of the first."""
    if tok.dep_ != "conj" or tok.tag_ not in ("VBD", "VBZ"):
        return False
    lemma = cue_lemma(tok)
    if lemma is None or lemma in COGNITION or lemma in QUESTION_VERBS:
        return False
    return any(c.dep_ == "nsubj" for c in tok.children) and not any(c.tag_ == "MD" for c in tok.children)


def _own_speaker_clause(tok: Token) -> bool:
    """A subordinate clause that reports someone's speech or concedes something about a person."""
    if tok.dep_ != "advcl":
        return False
    subject = next((c for c in tok.children if c.dep_ == "nsubj"), None)
    if subject is None:
        return False
    named = subject.lower_ in ("he", "she", "they") or subject.tag_ in ("NNP", "NNPS")
    lemma = cue_lemma(tok)
    if named and lemma is not None and lemma not in QUESTION_VERBS and not any(c.tag_ == "MD" for c in tok.children):
        return True
    mark = next((c.lower_ for c in tok.children if c.dep_ == "mark"), None)
    return mark in _CONCESSIVE and subject.lower_ in ("he", "she")


EMPTY_OBJECTS = frozenset({"it", "this", "that", "so", "much", "nothing", "something", "anything",
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
        if shape == "dobj" and dobj is not None and dobj.lower_ not in EMPTY_OBJECTS \
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
            trimmed = trim(verb.doc, first_i, cut_tail(verb.doc, verb.doc[first_i], first_i, last_i))
            if trimmed is not None and trimmed[1] - trimmed[0] >= 1:
                return trimmed
    return None


def infinitive(verb: Token) -> bool:
    """A "to" infinitive ("vowed to cut", "declined to comment")."""
    return any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)


def finite(verb: Token) -> bool:
    """A main assertion rather than background ("with both parties accusing ...")."""
    if verb.tag_ in ("VBD", "VBZ", "VBP"):
        return True
    return any(c.dep_ in ("aux", "auxpass") and c.lower_ != "to" for c in verb.children)
