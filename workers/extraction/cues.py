"""The words that mark attribution in English news, and their weight as evidence.

Lexicons are matched against lower-cased surface forms with the tagger's fine-grained tag
rather than spaCy lemmas, so the pipeline can run without the lemmatizer and attribute
ruler (they cost more than the tagger and parser together and add nothing else here).
"""
from __future__ import annotations

from types import MappingProxyType

from spacy.tokens import Token

# Verbs whose clausal complement is something the subject asserted. The number is how
# reliably the verb introduces a claim (rather than a plan, a fear or a question).
_SPEECH = {
    "say": 1.0, "tell": 1.0, "add": 0.95, "write": 0.9, "state": 0.95, "declare": 0.95,
    "announce": 0.9, "explain": 0.9, "argue": 0.9, "claim": 0.9, "insist": 0.9,
    "assert": 0.9, "contend": 0.9, "maintain": 0.85, "allege": 0.9, "charge": 0.7,
    "deny": 0.85, "warn": 0.9, "suggest": 0.8, "note": 0.9, "stress": 0.9,
    "emphasize": 0.9, "emphasise": 0.9, "acknowledge": 0.9, "admit": 0.9, "concede": 0.9,
    "confirm": 0.9, "estimate": 0.85, "predict": 0.85, "forecast": 0.8, "report": 0.8,
    "reply": 0.9, "respond": 0.85, "answer": 0.8, "testify": 0.9, "tweet": 0.9,
    "post": 0.6, "recall": 0.85, "caution": 0.9, "complain": 0.85, "conclude": 0.8,
    "agree": 0.75, "promise": 0.8, "vow": 0.8, "pledge": 0.8, "repeat": 0.8,
    "reiterate": 0.9, "mention": 0.8, "remark": 0.9, "counter": 0.9, "retort": 0.9,
    "boast": 0.85, "brag": 0.85, "disclose": 0.85, "reveal": 0.8, "indicate": 0.7,
    "signal": 0.6, "hint": 0.7, "joke": 0.85, "lament": 0.85, "protest": 0.8,
    "observe": 0.85, "assure": 0.85, "reassure": 0.85, "inform": 0.85, "remind": 0.8,
    "notify": 0.6, "advise": 0.6, "speculate": 0.8, "theorize": 0.8, "reason": 0.8,
    "posit": 0.85, "propose": 0.6, "recommend": 0.6, "urge": 0.5, "demand": 0.5,
    "scoff": 0.8, "quip": 0.9, "grumble": 0.8, "swear": 0.85,
    "affirm": 0.9, "attest": 0.85, "accuse": 0.5, "continue": 0.4, "describe": 0.5,
    "proclaim": 0.9, "shout": 0.85, "yell": 0.85, "cry": 0.6, "whisper": 0.85,
    "mutter": 0.85, "concur": 0.8, "object": 0.6, "dispute": 0.6, "show": 0.6,
}

# Verbs of rejection that report a claim only through "that": "rejected claims that ...",
# "dismissed suggestions that ...". Without one ("dismissed the coach") they are no cue.
_REJECTION = {"reject": 0.8, "dismiss": 0.75, "refute": 0.8, "rebut": 0.8}
THAT_ONLY = frozenset(_REJECTION)

# Verbs of belief and expectation: their complement is the subject's position, reported
# by the writer, so it is weaker evidence of a public statement.
_COGNITION = {
    "believe": 0.75, "think": 0.7, "feel": 0.55, "fear": 0.6, "worry": 0.6,
    "hope": 0.5, "expect": 0.55, "suspect": 0.65, "doubt": 0.6, "assume": 0.55,
    "reckon": 0.65, "know": 0.45, "realize": 0.5, "recognize": 0.6, "understand": 0.4,
    "figure": 0.5, "guess": 0.6, "imagine": 0.4, "hold": 0.3, "find": 0.45, "learn": 0.45,
}

# Speech acts whose content is often a noun phrase or an infinitive rather than a clause:
# what was acknowledged, promised, demanded or charged ("vowed to cut taxes", "accused
# the firm of fraud", "called for an inquiry"). Weaker evidence than a reported clause.
OBJECT_CUES = MappingProxyType({
    # lemma: (complement shapes it takes, weight)
    "acknowledge": ("dobj", 0.6), "admit": ("dobj", 0.6), "deny": ("dobj", 0.6),
    "note": ("dobj", 0.5), "cite": ("dobj", 0.55), "mention": ("dobj", 0.5),
    "point": ("dobj", 0.55), "highlight": ("dobj", 0.5), "concede": ("dobj", 0.6),
    "confirm": ("dobj", 0.6), "reveal": ("dobj", 0.55), "disclose": ("dobj", 0.55),
    "announce": ("dobj", 0.55), "predict": ("dobj", 0.6), "propose": ("dobj xcomp", 0.5),
    "claim": ("dobj", 0.6), "dispute": ("dobj", 0.5), "allege": ("dobj", 0.6),
    "outline": ("dobj", 0.45), "proclaim": ("dobj", 0.6), "reiterate": ("dobj", 0.55),
    "promise": ("dobj xcomp", 0.6), "vow": ("xcomp", 0.65), "pledge": ("dobj xcomp", 0.6),
    "threaten": ("xcomp", 0.6), "urge": ("dobj+xcomp", 0.5), "encourage": ("dobj+xcomp", 0.45),
    "demand": ("dobj", 0.5), "call": ("for on+xcomp dobj+oprd", 0.5),
    "accuse": ("dobj+of", 0.6), "blame": ("dobj+for", 0.55), "describe": ("dobj+as", 0.5),
    "label": ("dobj+oprd dobj+as", 0.5), "brand": ("dobj+oprd dobj+as", 0.5),
    "insist": ("on", 0.5), "warn": ("of about dobj+xcomp", 0.5), "argue": ("for against", 0.5),
    "talk": ("about", 0.4), "speak": ("about of", 0.4), "discuss": ("dobj", 0.4),
    "complain": ("about of", 0.45), "comment": ("on", 0.45), "question": ("dobj", 0.45),
})

# Verbs that attribute speech only in an "as X put it" clause.
AS_CUES = MappingProxyType({"put": 0.85})

# Verbs that introduce a question, quoted or reported; never a reported claim on their own.
QUESTION_VERBS = frozenset({"ask", "wonder", "question", "inquire", "query"})

# Verbs that only attribute a direct quotation, never a reported clause.
QUOTE_ONLY = frozenset({"continue", "ask", "wonder", "query", "inquire", "shout", "yell", "cry"})

CUE_WEIGHT = MappingProxyType({**_SPEECH, **_REJECTION, **_COGNITION})
COGNITION = frozenset(_COGNITION)

# Particles that turn an otherwise neutral verb into a speech verb ("pointed out that").
PHRASAL = MappingProxyType({
    "point": frozenset({"out"}), "spell": frozenset({"out"}), "lay": frozenset({"out"}),
    "shoot": frozenset({"back"}), "fire": frozenset({"back"}),
})

_IRREGULAR = {
    "say": ("said", "says", "saying"), "tell": ("told", "tells", "telling"),
    "write": ("wrote", "written", "writes", "writing"), "think": ("thought", "thinks", "thinking"),
    "feel": ("felt", "feels", "feeling"), "know": ("knew", "known", "knows", "knowing"),
    "hold": ("held", "holds", "holding"), "find": ("found", "finds", "finding"),
    "learn": ("learned", "learnt", "learns", "learning"),
    "swear": ("swore", "sworn", "swears", "swearing"), "admit": ("admitted", "admits", "admitting"),
    "lay": ("laid", "lays", "laying"),
    "shoot": ("shot", "shoots", "shooting"), "cite": ("cited", "cites", "citing"), "forecast": ("forecasts", "forecasting", "forecasted"),
    "quip": ("quipped", "quips", "quipping"), "spell": ("spelled", "spelt", "spells", "spelling"),
    "object": ("objected", "objects", "objecting"), "concur": ("concurred", "concurs", "concurring"),
    "ask": ("asked", "asks", "asking"), "speak": ("spoke", "spoken", "speaks", "speaking"),
    "show": ("showed", "shown", "shows", "showing"), "query": ("queried", "queries", "querying"),
    "understand": ("understood", "understands", "understanding"),
}


def plural(word: str) -> str:
    """The -s form of a regular verb or noun ("claims", "policies", "pushes")."""
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "sh", "ch", "x", "z")) else "s")


def _regular_forms(lemma: str) -> tuple[str, ...]:
    if lemma.endswith("e"):
        return lemma, plural(lemma), lemma + "d", lemma[:-1] + "ing"
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return lemma, plural(lemma), lemma[:-1] + "ied", lemma + "ing"
    return lemma, plural(lemma), lemma + "ed", lemma + "ing"


def verb_forms(lemma: str) -> tuple[str, ...]:
    """The forms a verb's lemma takes in news text ("admit": admits, admitted, admitting).

    A final consonant after a single vowel may or may not double ("commit", "visit"); both
    spellings are listed, since a form that never occurs costs nothing.
    """
    if lemma in _IRREGULAR:
        return (lemma,) + _IRREGULAR[lemma]
    forms = _regular_forms(lemma)
    if len(lemma) > 2 and lemma[-1] in "bdgklmnprtz" and lemma[-2] in "aeiou" and lemma[-3] not in "aeiou":
        forms += (lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing")
    return forms


def _build_forms() -> MappingProxyType:
    forms: dict[str, str] = {}
    lemmas = set(CUE_WEIGHT) | QUESTION_VERBS | set(PHRASAL) | set(OBJECT_CUES)
    for lemma in lemmas:
        for form in _IRREGULAR.get(lemma, ()) or _regular_forms(lemma):
            forms.setdefault(form, lemma)
        forms.setdefault(lemma, lemma)
    return MappingProxyType(forms)


FORMS = _build_forms()

def cue_lemma(token: Token) -> str | None:
    """The attribution verb's lemma, or None.

    The tag check keeps nouns and adjectives that share a spelling ("the claim", "a
    note") out; a phrasal cue needs its particle.
    """
    if not token.tag_.startswith("VB"):
        return None
    lemma = FORMS.get(token.lower_)
    if lemma is None:
        return None
    if lemma in PHRASAL and not any(c.dep_ == "prt" and c.lower_ in PHRASAL[lemma] for c in token.children):
        return None
    return lemma


def cue_weight(lemma: str) -> float:
    """How strongly the verb signals an asserted claim (1 = plain 'said')."""
    if lemma in PHRASAL:
        return 0.85
    return CUE_WEIGHT.get(lemma, 0.5)
