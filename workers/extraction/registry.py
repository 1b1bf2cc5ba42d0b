"""The article's registry of people and organisations, built once from spaCy's entities.

An article introduces a person once in full and then refers back by surname, role or
pronoun; the registry keeps one entry per person or organisation with its fullest name, its
titles and what the article reveals about gender, and where each is mentioned, so that the
resolver (speakers.py) can map subject phrases onto entries.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .names import (COMPANY_SUFFIXES, GENDERED_NOUNS, HONORIFICS, NAME_TITLES, ORG_NOUNS, PRONOUN_GENDER,
                    clean_name_tokens, description, fold, glosses_institution, is_tail, name_key, name_words,
                    person_name, title_of)
from .tokens import TokenIndex

@dataclass(slots=True)
class Entity:
    """One person or organisation of the article, growing as the article mentions it."""

    name: str
    kind: str
    titles: list[str] = field(default_factory=list)
    gender: str | None = None
    gender_votes: dict[str, int] = field(default_factory=dict)
    plural: bool = False
    # A place (a country or city speaks through its government) is never "the company".
    place: bool = False
    # What the article calls an organisation in apposition ("a drug maker based in Oslo"):
    # "the drug maker said" refers back to it. A person's role goes into `titles` instead.
    glosses: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Mention:
    """Where the article refers to an entity; salient mentions are subjects and speakers."""

    pos: int
    entity: int
    salient: bool
    paragraph: int


@dataclass(slots=True)
class Registry:
    """Every entity of one article and its mentions, in article order."""

    entities: list[Entity]
    mentions: list[Mention]
    ent_of_token: dict[int, int]



def paragraph_index(starts: list[int], pos: int) -> int:
    return max(bisect.bisect_right(starts, pos) - 1, 0)


def build_registry(doc: Doc, paragraph_starts: list[int], inside_quote=lambda pos: False) -> Registry:
    """Entities of the article from NER, surnames merged into the fullest name.

    Names inside quotations can refer to an entity but never lengthen its canonical name:
    speakers use nicknames and epithets that the reporter's own text does not. Genders are
    only voted on here; `learn_genders` adds the pronoun votes and settles them.
    """
    entities: list[Entity] = []
    mentions: list[Mention] = []
    ent_of_token: dict[int, int] = {}
    by_surname: dict[str, list[int]] = {}
    orgs: dict[str, int] = {}
    spans = _with_titled_names(doc)
    for ent, label in zip(spans, _corrected_labels(spans)):
        if label is None:
            continue
        toks, gender = clean_name_tokens(ent, person=label == "PERSON")
        if not toks:
            continue
        words = name_words(toks)
        key = name_key(words)
        if label == "PERSON":
            idx = _find_person(entities, by_surname, words, key)
            if idx is None:
                idx = len(entities)
                entities.append(Entity(name=person_name(words), kind="person"))
                by_surname.setdefault(key, []).append(idx)
            elif len(words) > len(entities[idx].name.split()) and not inside_quote(ent.start_char):
                entities[idx].name = person_name(words)
            entity = entities[idx]
            title = title_of(ent.root, toks[0].i)
            if title and title not in entity.titles:
                entity.titles.append(title)
            gender = gender or _gender_of_title(title)
            if gender:
                entity.gender_votes[gender] = entity.gender_votes.get(gender, 0) + 3
        else:
            if label == "NORP" and ent.root.dep_ not in ("nsubj",):
                continue
            norm = " ".join(w.lower() for w in words)
            idx = _find_org(entities, orgs, norm)
            if idx is None:
                idx = len(entities)
                entities.append(Entity(name=" ".join(words), kind="organization",
                                       plural=label == "NORP", place=label in ("GPE", "LOC", "FAC")))
                orgs[norm] = idx
            elif len(words) > len(entities[idx].name.split()) and not inside_quote(ent.start_char):
                entities[idx].name = " ".join(words)
                orgs[norm] = idx
            gloss = _gloss(ent.root)
            if gloss and gloss not in entities[idx].glosses:
                entities[idx].glosses.append(gloss)
        for t in ent:
            ent_of_token[t.i] = idx
        root = ent.root
        mentions.append(Mention(pos=ent.start_char, entity=idx, salient=root.dep_ in ("nsubj", "nsubjpass"),
                                paragraph=paragraph_index(paragraph_starts, ent.start_char)))
    return Registry(entities=entities, mentions=mentions, ent_of_token=ent_of_token)


def _with_titled_names(doc: Doc) -> list[Span]:
    """The named entities plus the people the recogniser missed behind a title ("Mayor Ana Ruiz").

    A personal title or honorific followed by capitalised proper nouns names a person;
    whatever label the recogniser gave those words instead (often a place) is dropped.
    """
    titled: list[Span] = []
    i = 0
    n = len(doc)
    while i < n:
        tok = doc[i]
        if not (tok.text[:1].isupper() and _is_name_title(tok)):
            i += 1
            continue
        j = i + 1
        while j < n and _is_name_title(doc[j]) and doc[j].text[:1].isupper():
            j += 1
        k = j
        while k < n and k - j < 3 and doc[k].tag_ == "NNP" and doc[k].text[:1].isupper() \
                and doc[k].lower_ not in ORG_NOUNS and doc[k].ent_type_ not in ("DATE", "TIME", "PERSON"):
            k += 1
        if k > j and (k >= n or doc[k].tag_ != "NNP") and not any(doc[m].ent_type_ == "PERSON" for m in range(j, k)):
            titled.append(Span(doc, i, k, label="PERSON"))
        i = max(k, i + 1)
    if not titled:
        return list(doc.ents)
    covered = {t for span in titled for t in range(span.start, span.end)}
    kept = [e for e in doc.ents if not any(t in covered for t in range(e.start, e.end))]
    return sorted(kept + titled, key=lambda e: e.start)


def _is_name_title(tok: Token) -> bool:
    low = tok.lower_
    return low in HONORIFICS or low.rstrip(".") in NAME_TITLES


_NAME_LABELS = ("PERSON", "ORG", "GPE", "NORP")
# Labels the small model gives a lone surname by mistake ("Delaney conceded" as a law).
_MISTAKEN_LABELS = ("LAW", "PRODUCT", "WORK_OF_ART", "FAC", "LOC", "EVENT")


def _corrected_labels(spans: list[Span]) -> list[str | None]:
    """Each entity's label with the small model's usual confusions between people and bodies undone.

    Full names are settled first, so that a lone word can then be read against them: a
    surname of a person the article names in full is that person, whatever the label
    ("Reyes" tagged as a firm after "Paul Reyes"); otherwise the first word of an
    organisation's name is that organisation ("Halvorsen" after "Halvorsen Pharma"), even
    tagged as a person; a lone "person" is a person, and a lone organisation word used
    elsewhere as a person is one too. A person's surname wins over a firm's first word:
    "Erik Halvorsen" makes "Halvorsen said" his, not Halvorsen Pharma's.
    """
    single_orgs = {e.text.lower() for e in spans if e.label_ == "ORG" and len(e) == 1}
    words_of = [name_words([t for t in e if t.tag_ != "POS"]) for e in spans]
    labels: list[str | None] = [
        _corrected_label(e, single_orgs) if len(w) > 1 else None for e, w in zip(spans, words_of)]
    full_surnames: set[str] = set()
    org_heads: set[str] = set()
    for e, w, label in zip(spans, words_of, labels):
        if label == "PERSON":
            toks = clean_name_tokens(e)[0]
            if len(toks) > 1:
                full_surnames.add(name_key(name_words(toks)))
        elif label == "ORG" and len(w) > 1:
            org_heads.add(fold(w[0]))
    lone_persons = {fold(w[0]) for e, w in zip(spans, words_of) if len(w) == 1 and e.label_ == "PERSON"}
    for k, (e, w) in enumerate(zip(spans, words_of)):
        if len(w) != 1:
            continue
        key = fold(w[0])
        proper = all(t.text[:1].isupper() and t.tag_ in ("NNP", "NNPS", "NN", "NNS") or t.tag_ == "HYPH"
                     for t in e if t.tag_ != "POS")
        if proper and key in full_surnames and e.label_ in _NAME_LABELS + _MISTAKEN_LABELS:
            labels[k] = "PERSON"
        elif key in org_heads and e.label_ in ("PERSON", "ORG"):
            labels[k] = "ORG"
        elif e.label_ in ("ORG", "GPE", "NORP") and proper and key in lone_persons:
            labels[k] = "PERSON"
        else:
            labels[k] = _corrected_label(e, single_orgs)
    return labels


def _corrected_label(ent: Span, org_words: set[str]) -> str | None:
    """The label of one entity, corrected from its own words and parse.

    A capitalised two- or three-word name in apposition to a role noun ("head coach, Ines
    Duval") is a person; a "person" whose first word the article also uses alone as an
    organisation ("Norda Freight" beside "Norda"), whose last word only firms end with
    ("Halvorsen Pharma"), or that names an institution in apposition ("the operator,
    Meridian Terminals", "Halvorsen Pharma, a drug maker") is an organisation; a "person"
    modifying a common noun ("the Veltran fisheries agency") is no speaker at all.
    """
    label = ent.label_
    if label not in _NAME_LABELS:
        return None
    root = ent.root
    words = [t for t in ent if not t.is_punct and t.tag_ != "POS"]
    if label == "PERSON":
        if root.dep_ in ("compound", "amod") and (root.head.lower_ in ORG_NOUNS or not root.head.text[:1].isupper()):
            return None
        if len(words) > 1 and (words[0].lower_ in org_words or words[-1].lower_ in COMPANY_SUFFIXES) \
                or _gloss(root) is not None:
            return "ORG"
        return label
    if label == "ORG" and 2 <= len(words) <= 3 and all(t.tag_ == "NNP" and t.lower_ not in ORG_NOUNS for t in words) \
            and root.dep_ == "appos" and root.head.tag_ in ("NN", "NNS") and root.head.lower_ not in ORG_NOUNS \
            and words[-1].lower_ not in COMPANY_SUFFIXES and not glosses_institution(root.head):
        return "PERSON"
    return label


def _gloss(root: Token) -> str | None:
    """The institution noun a name stands in apposition to ("the operator, Meridian Terminals",
    "Halvorsen Pharma, a drug maker based in Oslo"), as a short description."""
    if root.dep_ == "appos" and glosses_institution(root.head):
        return description(root.head)
    noun = next((c for c in root.children if c.dep_ == "appos" and glosses_institution(c)), None)
    return description(noun) if noun is not None else None


def _majority(votes: dict[str, int]) -> str | None:
    if not votes:
        return None
    m, f = votes.get("m", 0), votes.get("f", 0)
    return "m" if m > f else "f" if f > m else None


def _gender_of_title(title: str | None) -> str | None:
    if not title:
        return None
    for w in title.lower().split():
        if w in GENDERED_NOUNS:
            return GENDERED_NOUNS[w]
    return None


def _find_person(entities: list[Entity], by_surname: dict[str, list[int]], words: list[str], key: str) -> int | None:
    same = by_surname.get(key, [])
    if len(words) == 1:
        if same:
            return same[-1]
        first_name = words[0].lower()
        for idx in range(len(entities) - 1, -1, -1):
            e = entities[idx]
            if e.kind == "person" and len(e.name.split()) > 1 and e.name.split()[0].lower() == first_name:
                return idx
        return None
    first = words[0].lower()
    for idx in reversed(same):
        existing = entities[idx].name.split()
        if len(existing) == 1 or existing[0].lower() == first or existing[0].lower()[0] == first[0] and (
                len(existing[0]) <= 2 or len(first) <= 2) or is_tail(words, existing) or is_tail(existing, words):
            return idx
    return None


def _find_org(entities: list[Entity], orgs: dict[str, int], norm: str) -> int | None:
    if norm in orgs:
        return orgs[norm]
    for other, idx in orgs.items():
        if other.startswith(norm + " ") or norm.startswith(other + " "):
            return idx
    return None


def learn_genders(doc: Doc, index: TokenIndex, registry: Registry, inside_quote) -> None:
    """Read a person's gender from the first pronoun after them in their own sentence.

    "Omar Reyes said his bakery ..." tells us Reyes is male (an object pronoun, as in
    "thanked him", is left out: it is usually someone else); the vote is dropped when
    another person is named in between or the pronoun sits inside a quotation. A gendered
    pronoun also tells us that a one-word "organisation" is a person.
    """
    votes: list[tuple[int, str]] = []
    for m in registry.mentions:
        if not m.salient or not may_be_person(registry.entities[m.entity]):
            continue
        start = index.at_or_after(m.pos)
        if start >= len(doc):
            continue
        sent_end = index.sentence(start)[1]
        for t in doc[start + 1:min(sent_end, start + 14)]:
            if t.i in registry.ent_of_token and registry.ent_of_token[t.i] != m.entity and \
                    registry.entities[registry.ent_of_token[t.i]].kind == "person":
                break
            if refers_back(t):
                if not inside_quote(t.idx):
                    votes.append((m.entity, PRONOUN_GENDER[t.lower_]))
                break
    for idx, g in votes:
        e = registry.entities[idx]
        e.gender_votes[g] = e.gender_votes.get(g, 0) + 1
        e.kind = "person"
    for e in registry.entities:
        e.gender = _majority(e.gender_votes)


def refers_back(tok: Token) -> bool:
    """A pronoun that usually refers to the sentence's subject: "he", "his", "herself", and
    "her" as a possessive. An object ("thanked him") is usually somebody else."""
    if tok.lower_ not in PRONOUN_GENDER or tok.tag_ not in ("PRP", "PRP$"):
        return False
    if tok.lower_ == "her":
        return tok.tag_ == "PRP$"
    return tok.lower_ != "him"


def may_be_person(e: Entity) -> bool:
    """A person, or a lone capitalised word the recogniser called an organisation ("Varga
    said ... she noted"): the small model often takes a surname for a firm, and a "he" or
    "she" that follows it in its own sentence settles which it is."""
    if e.kind == "person":
        return True
    words = e.name.split()
    return len(words) == 1 and not e.plural and words[0][:1].isupper() and not words[0].isupper() \
        and words[0].lower() not in ORG_NOUNS
