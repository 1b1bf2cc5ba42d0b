"""Attribution through words the hand-written lexicon does not list, learned from a corpus.

News reports positions through far more words than "said": "pledged to ...", "questioned the
integrity of ...", "her claim that ...", "described X as Y". Which words, with which
argument, report what someone said or holds is measured rather than guessed:
`scripts/learn_cues.py` counts, over an annotated attribution corpus (PolNeAR train), how
often a verb or noun with a given argument shape appears with a speaker, and how often the
span this module extracts for that shape is an annotated attribution's content with that
word in its cue. The table (data/learned_cues.tsv: part of speech, lemma, shape, hits, seen)
holds counts only; a (lemma, shape) pair is used when it was seen often enough and reported
content often enough (`MIN_SEEN`, `MIN_PRECISION`, chosen on PolNeAR dev).

Shapes of a verb: "ccomp" (a clause, for verbs outside the rules' cue list), "xcomp" ("vowed
to ..."), "dobj" (a noun phrase), "dobj+xcomp" ("urged voters to ..."), "dobj+as" ("described
X as Y"), "dobj+P" ("accused X of Y") and "P" ("spoke about ..."), for a preposition P. Of a
noun: "that" ("the claim that ..."), "to" ("his promise to ...") and "P" ("criticism of ...").
The rules stay in charge where they know a word: a verb the rules already made a claim of is
left alone, and so is a clause of a verb in the rules' own lexicon.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from spacy.tokens import Doc, Token

from . import stance
from .candidates import Candidate
from .cues import cue_lemma, plural, verb_forms
from .contents import EMPTY_OBJECTS, clause_tokens, complement, cut_tail, infinitive, is_question, trim
from .reported import NON_SPEAKERS, can_speak, subject_of

TABLE = Path(__file__).resolve().parent / "data" / "learned_cues.tsv"
# The lemma of a row that pools every noun with one shape: a noun the table does not list
# ("her assurance that ...") is used when nouns with that shape report content often enough.
ANY = "*"
# A pair must have been seen this often with a speaker...
MIN_SEEN = 3
# ...and its span must have been annotated content this share of the time (add-one smoothed).
MIN_PRECISION = 0.4


class _All:
    """Every shape: what learning asks for."""

    def __contains__(self, shape: object) -> bool:
        return True


ALL: Container[str] = _All()
# Prepositions whose object can be what a verb or noun reports ("spoke about", "accused of").
PREPOSITIONS = frozenset({"about", "of", "for", "on", "against", "to", "over", "as", "with"})
# Heads that name no checkable content: the objects the rules refuse as contents, and more.
_EMPTY_HEADS = EMPTY_OBJECTS | frozenset({"these", "those", "one", "some", "all", "same", "thing", "things", "way",
                                         "other", "others"})
# The rules' refused subjects, and "it": a learned cue's "it" is mostly a thing that acted.
_NON_SPEAKERS = NON_SPEAKERS | {"it"}
# Articles, possessive pronouns, prepositions and the infinitive marker: no content of their own.
_FUNCTION_TAGS = frozenset({"DT", "PRP$", "TO", "POS", "IN"})
_SPEAKER_ENTS = frozenset({"PERSON", "ORG", "GPE", "NORP"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One learned (part of speech, lemma, shape) with its corpus counts."""

    hits: int
    seen: int

    @property
    def precision(self) -> float:
        """Share of sightings that were annotated content, smoothed towards 0 for rare pairs."""
        return self.hits / (self.seen + 1)


def load_table(path: Path = TABLE) -> MappingProxyType:
    """{(pos, lemma, shape): Entry} from the committed table; empty if there is none."""
    if not path.exists():
        return MappingProxyType({})
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return MappingProxyType({(r["pos"], r["lemma"], r["shape"]): Entry(int(r["hits"]), int(r["seen"]))
                                 for r in rows})


def noun_forms(lemma: str) -> tuple[str, ...]:
    """A noun and its plural ("claim", "claims"; "policy", "policies")."""
    return lemma, plural(lemma)


@lru_cache(maxsize=4)
def _lexicon(min_seen: int, min_precision: float) -> tuple[MappingProxyType, MappingProxyType]:
    """The usable shapes of each (part of speech, lemma), and a form-to-lemma map for them."""
    shapes: dict[tuple[str, str], dict[str, Entry]] = {}
    forms: dict[tuple[str, str], str] = {}
    for (pos, lemma, shape), e in load_table().items():
        if e.seen < min_seen or e.precision < min_precision:
            continue
        shapes.setdefault((pos, lemma), {})[shape] = e
        if lemma != ANY:
            for form in (verb_forms(lemma) if pos == "V" else noun_forms(lemma)):
                forms.setdefault((pos, form), lemma)
    return MappingProxyType(shapes), MappingProxyType(forms)


def lexicon() -> tuple[MappingProxyType, MappingProxyType]:
    """{(pos, lemma): {shape: Entry}} of the pairs in use, and {(pos, form): lemma}; built once
    per threshold setting (the thresholds are module constants, read at call time)."""
    return _lexicon(MIN_SEEN, MIN_PRECISION)


def _right(tok: Token, deps: tuple[str, ...], word: str | None = None) -> Token | None:
    return next((c for c in tok.rights if c.dep_ in deps and (word is None or c.lower_ == word)), None)


def _phrase(tok: Token, first: int, last: int) -> tuple[int, int] | None:
    """A trimmed span that names something checkable.

    It needs two words besides articles, possessives, prepositions, dates and the infinitive's
    "to": "declined to comment on Monday" and "proposed the measure" report that someone acted,
    not anything they claimed.
    """
    doc = tok.doc
    span = trim(doc, first, cut_tail(doc, doc[first], first, last))
    if span is None:
        return None
    words = [t for t in doc[span[0]:span[1] + 1] if not (t.is_punct or t.is_space or t.tag_ in _FUNCTION_TAGS
                                                          or t.ent_type_ in ("DATE", "TIME"))]
    if len(words) < 2 or len(words) == 2 and words[-1].lower_ in _EMPTY_HEADS:
        return None
    return span


def _object_phrase(obj: Token) -> bool:
    return obj.lower_ not in _EMPTY_HEADS and obj.tag_ not in ("PRP", "WP", "WDT", "EX")


def verb_arguments(verb: Token, wanted: Container[str] = ALL) -> Iterator[tuple[str, tuple[int, int]]]:
    """(shape, first and last token) of each argument of a verb that could be what it reports;
    only the shapes in `wanted` are worked out."""
    comp = complement(verb) if "ccomp" in wanted else None
    if comp is not None and not is_question(comp):
        span = clause_tokens(verb, comp)
        if span is not None:
            yield "ccomp", span
    dobj = _right(verb, ("dobj",))
    xcomp = _right(verb, ("xcomp",))
    if xcomp is not None and not infinitive(xcomp):
        xcomp = None
    if dobj is not None and not _object_phrase(dobj):
        dobj = None
    if xcomp is not None:
        if dobj is not None and dobj.i < xcomp.i:
            span = _phrase(verb, dobj.left_edge.i, xcomp.right_edge.i) if "dobj+xcomp" in wanted else None
            if span is not None:
                yield "dobj+xcomp", span
        elif "xcomp" in wanted:
            span = _phrase(verb, xcomp.left_edge.i, xcomp.right_edge.i)
            if span is not None:
                yield "xcomp", span
    preps = [c for c in verb.rights if c.dep_ == "prep" and c.lower_ in PREPOSITIONS]
    if dobj is not None:
        preps += [c for c in dobj.rights if c.dep_ == "prep" and c.lower_ in PREPOSITIONS and c.lower_ != "of"]
        for prep in preps:
            pobj = _right(prep, ("pobj", "pcomp"))
            if prep.i > dobj.i and pobj is not None and pobj.ent_type_ not in ("DATE", "TIME") \
                    and "dobj+" + prep.lower_ in wanted:
                span = _phrase(verb, dobj.left_edge.i, max(prep.right_edge.i, dobj.right_edge.i))
                if span is not None:
                    yield "dobj+" + prep.lower_, span
        span = _phrase(verb, dobj.left_edge.i, dobj.right_edge.i) if "dobj" in wanted else None
        if span is not None:
            yield "dobj", span
    else:
        for prep in preps:
            pobj = _right(prep, ("pobj", "pcomp"))
            if pobj is not None and _object_phrase(pobj) and prep.lower_ in wanted:
                span = _phrase(verb, pobj.left_edge.i, pobj.right_edge.i)
                if span is not None:
                    yield prep.lower_, span


def noun_arguments(noun: Token, wanted: Container[str] = ALL) -> Iterator[tuple[str, tuple[int, int]]]:
    """(shape, first and last token) of what a noun could report: "claim that ...", "promise to ..."."""
    for child in noun.rights:
        if child.dep_ in ("acl", "ccomp", "appos", "relcl") and "that" in wanted and any(
                c.dep_ == "mark" and c.lower_ == "that" for c in child.children):
            span = _phrase(noun, child.left_edge.i, child.right_edge.i)
            if span is not None:
                yield "that", span
        elif child.dep_ in ("acl", "relcl") and "to" in wanted and infinitive(child):
            span = _phrase(noun, child.left_edge.i, child.right_edge.i)
            if span is not None:
                yield "to", span
        elif child.dep_ == "prep" and child.lower_ in PREPOSITIONS and child.lower_ in wanted:
            pobj = _right(child, ("pobj", "pcomp"))
            if pobj is not None and _object_phrase(pobj):
                span = _phrase(noun, pobj.left_edge.i, pobj.right_edge.i)
                if span is not None:
                    yield child.lower_, span


def noun_speaker(noun: Token) -> Token | None:
    """Whose claim, promise or warning a noun is: "her claim", "a warning by the agency",
    "the Lind campaign's promise", or the subject of the verb that made it ("the ministry made
    the surprise announcement that ...").

    A noun that is the object of a cue verb is someone else's ("denied the claim that ..."):
    the rules report the verb's subject's stance towards it, so it has no speaker here.
    """
    for child in noun.children:
        if child.dep_ == "poss":
            return child
        if child.dep_ == "prep" and child.lower_ in ("by", "from") and child.i > noun.i:
            pobj = _right(child, ("pobj",))
            if pobj is not None:
                return pobj
    for child in noun.lefts:
        if child.dep_ == "compound" and child.ent_type_ in ("PERSON", "ORG") and child.i == noun.i - 1:
            return child
    head = noun.head
    if noun.dep_ == "dobj" and head.tag_.startswith("VB") and cue_lemma(head) is None:
        return subject_of(head)
    return None


def _speaker_ok(subject: Token | None, inside_quote: Callable[[int], bool]) -> bool:
    if not can_speak(subject, inside_quote, _NON_SPEAKERS):
        return False
    return subject.tag_ not in ("WDT", "EX", "DT") or subject.ent_type_ in _SPEAKER_ENTS


def sightings(tok: Token, pos: str, inside_quote: Callable[[int], bool],
              wanted: Container[str] = ALL) -> Iterator[tuple[str, Token, tuple[int, int]]]:
    """Every (shape, speaker head, span) the word offers among the `wanted` shapes.

    Learning (all shapes) and extraction (the shapes the lexicon lists for the word) both read
    this, so the counts describe exactly what is extracted.
    """
    if inside_quote(tok.idx):
        return
    if pos == "V":
        if any(c.dep_ == "neg" for c in tok.children) or tok.dep_ in ("amod", "compound"):
            return
        speaker = subject_of(tok)
        args = verb_arguments(tok, wanted)
    else:
        speaker = noun_speaker(tok)
        args = noun_arguments(tok, wanted)
    if not _speaker_ok(speaker, inside_quote):
        return
    for shape, (first, last) in args:
        if first <= speaker.i <= last or first <= tok.i <= last:
            continue
        yield shape, speaker, (first, last)


def part_of_speech(tok: Token) -> str | None:
    """"V" for a verb, "N" for a common noun, None for anything else."""
    if tok.tag_.startswith("VB"):
        return "V"
    if tok.tag_ in ("NN", "NNS"):
        return "N"
    return None


def find_learned(doc: Doc, inside_quote: Callable[[int], bool], taken: set[int]) -> list[Candidate]:
    """Claims reported through learned (lemma, shape) pairs, for words not in `taken`
    (the cue tokens of the rules' claims)."""
    shapes, forms = lexicon()
    if not shapes:
        return []
    found: list[Candidate] = []
    for tok in doc:
        pos = part_of_speech(tok)
        if pos is None or tok.i in taken:
            continue
        lemma = forms.get((pos, tok.lower_))
        entries = shapes.get((pos, lemma if lemma is not None else ANY))
        if entries is None:
            continue
        if pos == "V" and "ccomp" in entries and cue_lemma(tok) is not None:
            # A clause of a verb the rules know is theirs to find or to refuse.
            entries = {k: e for k, e in entries.items() if k != "ccomp"}
        best: tuple[float, str, Token, tuple[int, int]] | None = None
        for shape, speaker, span in sightings(tok, pos, inside_quote, entries):
            entry = entries[shape]
            if best is None or entry.precision > best[0]:
                best = (entry.precision, shape, speaker, span)
        if best is None:
            continue
        weight, shape, speaker, (first, last) = best
        # Negated verbs never get here (`sightings`), so the cue's own stance is the claim's.
        lemma = lemma or tok.lower_
        said = stance.of_cue(lemma) if pos == "V" else stance.of_noun(lemma)
        found.append(Candidate(
            start=doc[first].idx, end=doc[last].idx + len(doc[last]), type="indirect", cue=tok.text,
            source="learned", subject=speaker.i, cue_token=tok.i, cue_lemma=lemma, cue_weight=weight,
            stance=said))
    return found
