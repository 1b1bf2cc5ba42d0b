"""What a claim is: a proposition that a speaker asserted, denied or questioned.

Speech verbs also report acts that hold no proposition a fact-checker could rule on:
directives ("urged voters to back the plan", "called on the council to resign"), refusals
("declined to comment", "refused to rule it out") and decisions ("voted to cap rents",
"her decision to rest four starters"). Their content is an infinitive: what someone was
told, refused or decided to do, not something they said was so. These are left out.

Kept, because PolNeAR counts them and a fact-checker can check them: promises and
threats ("vowed to cut taxes": whether the promise was made is on the record), and
characterisations ("described Putin as a strong leader", "accused the union of walking
away"). The choice was made on dev figures of both kinds of text (README, extraction).
"""
from __future__ import annotations

from spacy.tokens import Doc, Token

from .candidates import Candidate
from .contents import infinitive
from .cues import plural, verb_forms
from .tokens import TokenIndex

# Verbs whose infinitive is an order or a request to someone.
DIRECTIVES = frozenset({"urge", "encourage", "order", "instruct", "implore", "beg", "direct", "command", "invite",
                        "press", "call", "ask", "tell", "advise", "exhort", "appeal", "demand", "challenge"})
# Verbs whose infinitive the subject refused, chose or tried to do.
REFUSALS = frozenset({"decline", "refuse"})
ACTS = frozenset({"vote", "move", "decide", "choose", "opt", "seek", "try", "attempt", "elect"})
# Nouns for the same acts ("her decision to ...").
ACT_NOUNS = frozenset({"decision", "plan", "move", "bid", "effort", "attempt", "vote", "refusal", "call", "request",
                       "order", "appeal", "push", "choice", "intention", "desire", "wish", "invitation", "offer"})

_LEMMA = {form: lemma for lemma in DIRECTIVES | REFUSALS | ACTS for form in verb_forms(lemma)}
_NOUNS = ACT_NOUNS | {plural(noun) for noun in ACT_NOUNS}


def _infinitive_of(cue: Token, first: int, last: int) -> bool:
    """Whether the content (tokens first..last) is an infinitive the cue governs, alone or
    after its object ("to comment", "voters to back the plan")."""
    for tok in cue.doc[first:min(last + 1, first + 12)]:
        if tok.tag_ != "VB" or not infinitive(tok):
            continue
        if tok.dep_ not in ("xcomp", "ccomp", "advcl", "acl", "relcl"):
            continue
        if tok.head == cue or tok.head.dep_ in ("dobj", "pobj") and (tok.head.head == cue or tok.head.head.head == cue):
            return True
    return False


def is_act(doc: Doc, cue_token: int, first: int, last: int) -> bool:
    """A directive, refusal or decision reported by the cue, not a claim."""
    cue = doc[cue_token]
    if cue.tag_.startswith("NN"):
        return cue.lower_ in _NOUNS and _infinitive_of(cue, first, last)
    lemma = _LEMMA.get(cue.lower_)
    if lemma is not None and _infinitive_of(cue, first, last):
        return True
    # "ridiculed a new attempt to arm the rebels": the content is itself an act noun's infinitive.
    heads = [t for t in doc[first:last + 1] if t.head.i < first or t.head.i > last]
    return len(heads) == 1 and heads[0].lower_ in _NOUNS and any(
        c.dep_ in ("acl", "relcl") and c.tag_ == "VB" and infinitive(c)
        for c in heads[0].children)


def is_topic(doc: Doc, cue_token: int, first: int, last: int) -> bool:
    """A bare noun phrase the speaker talked about ("discussed clean energy efforts",
    "called for a one-day strike"): no verb, and nothing said of the thing. A noun phrase
    with a predicate of its own ("called the vote a mistake", "described Obama as an
    evangelist", "accused the union of walking away") is a characterisation, and stays."""
    words = [t for t in doc[first:last + 1] if not t.is_space]
    if not words or any(t.tag_.startswith("VB") or t.tag_ == "MD" for t in words):
        return False
    cue = doc[cue_token]
    for t in words:
        if t.dep_ in ("oprd", "acomp") or t.lower_ in ("as", "of", "on", "to") and t.head == cue \
                or t.head.dep_ == "dobj" and t.dep_ == "prep" and t.lower_ in ("as", "of", "on", "to"):
            return False
    heads = [t for t in words if t.head.i < first or t.head.i > last]
    # Two noun phrases side by side ("called him a master"): the second is said of the first.
    return len([h for h in heads if h.tag_.startswith(("NN", "PRP", "CD"))]) < 2


def keep_claims(doc: Doc, cands: list[Candidate], index: TokenIndex) -> list[Candidate]:
    """The candidates that report a proposition."""
    out = []
    for c in cands:
        if c.cue_token is not None and c.type != "direct":
            first, last = index.at_or_after(c.start), index.before(c.end)
            # A mixed claim's quoted words are said of something, so only acts are left out.
            if is_act(doc, c.cue_token, first, last) or c.type == "indirect" and is_topic(doc, c.cue_token, first, last):
                continue
        out.append(c)
    return out
