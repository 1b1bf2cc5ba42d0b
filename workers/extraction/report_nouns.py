"""Contents reached through a report noun: "brushed aside accusations that X".

"Putin brushed aside American accusations that his campaign targeted rebels" does not say
that Putin asserted anything: the Americans accuse, Putin rejects. Stored as Putin
asserting "accusations that ...", a verdict of `false` would read as Putin lying. So a
content that is a report noun's "that" clause ("accusations / claims / suggestions /
reports / allegations / rumours that X") is settled here, whoever found it (a rule, the
learned table or the encoder):

* a governing verb that rejects the report ("denied", "shrugged off", "pushed back on",
  "called ... false") makes X the subject's claim with the stance `denies`;
* one that confirms it ("confirmed reports that", "acknowledged claims that") makes X the
  subject's claim with the stance `asserts`;
* any other verb ("investigated reports that", "cited claims that") says nothing about
  what the subject holds, so no claim of the subject's comes out. The report noun's own
  holders ("American accusations", "the union's claim that") are the learned table's
  business (learned.py), where the noun is the cue.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from spacy.tokens import Doc, Token

from .candidates import Candidate
from .contents import cut_tail, trim
from .cues import plural, verb_forms
from .quotes import Quote
from .reported import can_speak, subject_of
from .stance import FALSITY, TRUTH, Stance, negated

REPORT_NOUNS = frozenset({
    "accusation", "allegation", "assertion", "charge", "claim", "contention", "insinuation", "report",
    "rumor", "rumour", "speculation", "suggestion", "story", "theory", "notion", "idea", "talk",
})
# Verb (lemma) -> the particles or prepositions it needs to reject or confirm ("" for none).
_REJECTING = {
    "deny": "", "reject": "", "dismiss": "", "dispute": "", "refute": "", "rebut": "", "debunk": "",
    "discount": "", "discredit": "", "contradict": "", "ridicule": "", "deride": "", "mock": "",
    "downplay": "", "shrug": "off", "brush": "aside off", "push": "back", "wave": "off away aside",
    "laugh": "off", "scoff": "at", "swat": "away aside", "bat": "away", "knock": "down", "shoot": "down",
    "play": "down", "fend": "off", "slap": "down", "hit": "back",
}
_CONFIRMING = {
    "confirm": "", "acknowledge": "", "corroborate": "", "verify": "", "validate": "", "back": "up",
    "support": "", "echo": "", "repeat": "", "endorse": "", "substantiate": "", "accept": "", "admit": "",
    "concede": "", "reiterate": "",
}
# "called reports ... false": verbs of naming whose predicate decides the stance.
_NAMING = frozenset({"call", "label", "brand", "term", "describe", "dub"})
# What a speaker calls a report: the words of "it was false that ..." (stance.py) and the
# stronger ones news quotes ("called the reports ridiculous").
_FALSE = FALSITY | {"ridiculous", "absurd", "fake", "groundless", "unfounded", "lies", "lie", "rubbish", "garbage",
                    "fabricated", "fiction", "preposterous", "laughable", "misleading"}
_TRUE = TRUTH | {"fair"}


def _forms(table) -> dict[str, str]:
    out: dict[str, str] = {}
    for lemma in table:
        for form in verb_forms(lemma):
            out.setdefault(form, lemma)
    return out


_FORMS = {**_forms(_CONFIRMING), **_forms(_REJECTING), **_forms(_NAMING)}
_NOUN_FORMS = REPORT_NOUNS | {plural(noun) for noun in REPORT_NOUNS}


def _that_clause(noun: Token) -> Token | None:
    """The clause a report noun introduces with "that" ("claims that jobs were at risk")."""
    for child in noun.rights:
        if child.dep_ in ("acl", "ccomp", "relcl") and any(m.dep_ == "mark" and m.lower_ == "that"
                                                            for m in child.children):
            return child
    return None


def _governor(noun: Token) -> Token | None:
    """The verb whose object the report noun is: "rejected claims", "pushed back on claims"."""
    if noun.dep_ in ("dobj", "oprd") and noun.head.tag_.startswith("VB"):
        return noun.head
    if noun.dep_ == "pobj" and noun.head.dep_ in ("prep", "prt", "advmod") and noun.head.head.tag_.startswith("VB"):
        return noun.head.head
    # "X confirmed reports that ...", parsed with "confirmed" as the noun's modifier.
    return next((c for c in noun.lefts if c.dep_ == "amod" and c.tag_ == "VBD" and c.lower_ in _FORMS), None)


def _particles(verb: Token, noun: Token) -> set[str]:
    words = {c.lower_ for c in verb.children if c.dep_ in ("prt", "advmod", "prep")}
    if noun.dep_ == "pobj":
        words.add(noun.head.lower_)
    return words


def _falsity(verb: Token, clause: Token) -> tuple[Stance, int] | None:
    """"called reports that X (completely) false": the stance and where X ends. The small
    model hangs the predicate anywhere in the clause, so it is found as the sentence's last
    words after the clause's own words."""
    doc = verb.doc
    last = max(verb.right_edge.i, clause.right_edge.i)
    k = last
    while k > clause.i and (doc[k].is_punct or doc[k].is_space):
        k -= 1
    word = doc[k].lower_
    if word not in _FALSE and word not in _TRUE:
        return None
    start = k
    while start - 1 > clause.i and (doc[start - 1].tag_ in ("RB", "RBS", "RBR", "DT") or doc[start - 1].is_quote):
        start -= 1
    return ("denies" if word in _FALSE else "asserts"), start - 1


def _before_aside(doc: Doc, first: int, last: int) -> int:
    """The report's words end at a dash that opens an aside ("... fighters — including
    rebels — in its attempt ..."): what follows is the writer's gloss on the report."""
    for tok in doc[first + 3:last + 1]:
        if tok.text in ("—", "–", "--"):
            return tok.i - 1
    return last


def stance_of(verb: Token, noun: Token, clause: Token) -> tuple[Stance, int] | None:
    """What the governing verb does with the report, and the last token of the reported
    clause; None when the verb neither rejects nor confirms it."""
    if negated(verb):
        return None
    lemma = _FORMS.get(verb.lower_)
    if lemma is None:
        return None
    end = clause.right_edge.i
    if lemma in _NAMING:
        return _falsity(verb, clause)
    for table, said in ((_REJECTING, "denies"), (_CONFIRMING, "asserts")):
        if lemma in table:
            needed = table[lemma].split()
            if needed and not _has_particle(verb, noun, needed):
                return None
            return said, end
    return None


def _has_particle(verb: Token, noun: Token, needed: list[str]) -> bool:
    """"shrugged off", "pushed back on": a phrasal verb rejects only with its particle."""
    return bool(_particles(verb, noun) & set(needed))


def _cue_text(doc: Doc, verb: Token, noun: Token) -> str:
    last = verb.i
    for c in verb.children:
        if c.dep_ in ("prt", "advmod") and c.i < noun.i and c.lower_ not in ("also", "again", "quickly", "swiftly"):
            last = max(last, c.i)
    if noun.dep_ == "pobj":
        last = max(last, noun.head.i)
    return doc[verb.i:last + 1].text


def settle(doc: Doc, cands: list[Candidate], quotes: Sequence[Quote],
           inside_quote: Callable[[int], bool]) -> list[Candidate]:
    """`cands` with every report-noun content settled as the module docstring says."""
    found: list[Candidate] = []
    drop_cues: set[int] = set()
    held_by_subject: set[tuple[int, int | None]] = set()
    spans: list[tuple[int, int]] = []
    for noun in doc:
        if not noun.tag_.startswith("NN") or noun.lower_ not in _NOUN_FORMS or inside_quote(noun.idx):
            continue
        clause = _that_clause(noun)
        verb = _governor(noun) if clause is not None else None
        if verb is None:
            continue
        drop_cues.add(verb.i)
        subject = subject_of(verb)
        if subject is not None:
            # The noun as a learned cue with the rejecting subject as its holder.
            held_by_subject.add((noun.i, subject.i))
        spans.append((noun.idx, doc[clause.right_edge.i].idx + len(doc[clause.right_edge.i])))
        settled = stance_of(verb, noun, clause)
        if settled is None or not can_speak(subject, inside_quote):
            continue
        said, end = settled
        first = next(c.i for c in clause.children if c.dep_ == "mark") + 1
        bounds = trim(doc, first, _before_aside(doc, first, cut_tail(doc, clause, first, end)))
        if bounds is None:
            continue
        start, stop = doc[bounds[0]].idx, doc[bounds[1]].idx + len(doc[bounds[1]])
        quoted = any(start <= q.start and q.end <= stop for q in quotes)
        found.append(Candidate(start=start, end=stop, type="mixed" if quoted else "indirect",
                               cue=_cue_text(doc, verb, noun), source="clause", subject=subject.i, cue_token=verb.i,
                               cue_lemma=_FORMS[verb.lower_], cue_weight=0.85, stance=said))
    if not spans:
        return cands

    def about_a_report(c: Candidate) -> bool:
        # The candidate of the same governing verb, or one whose words are the report's.
        if c.cue_token in drop_cues or (c.cue_token, c.subject) in held_by_subject:
            return True
        return c.source in ("model", "learned") and any(a <= c.start < b or c.start <= a < c.end for a, b in spans) \
            and c.cue_token is not None and doc[c.cue_token].lower_ not in _NOUN_FORMS
    kept = [c for c in cands if not about_a_report(c)]
    return sorted(kept + [f for f in found if not _covered(f, kept)], key=lambda c: c.start)


def _covered(c: Candidate, others: list[Candidate]) -> bool:
    return any(o.start <= c.start and c.end <= o.end and o.type == "direct" for o in others)

