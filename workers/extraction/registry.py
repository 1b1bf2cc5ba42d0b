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

from .names import (GENDERED_NOUNS, HONORIFICS, NAME_TITLES, ORG_NOUNS, PRONOUN_GENDER, clean_name_tokens, is_tail,
                    name_key, name_words, person_name, title_of)
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
    persons_surnames = {
        name_key(name_words(toks))
        for toks in (clean_name_tokens(e)[0] for e in spans if e.label_ == "PERSON") if toks}
    org_words = {e.text.lower() for e in spans if e.label_ == "ORG" and len(e) == 1}
    for ent in spans:
        label = _corrected_label(ent, persons_surnames, org_words)
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
                                       plural=label == "NORP"))
                orgs[norm] = idx
            elif len(words) > len(entities[idx].name.split()) and not inside_quote(ent.start_char):
                entities[idx].name = " ".join(words)
                orgs[norm] = idx
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


def _corrected_label(ent: Span, person_surnames: set[str], org_words: set[str]) -> str | None:
    """The entity label with the small model's usual confusions between people and bodies undone.

    A lone surname already known as a person is a person; a capitalised two- or
    three-word name in apposition to a role noun ("head coach, Ines Duval") is a person;
    a "person" whose first word the article also uses alone as an organisation ("Norda
    Freight" beside "Norda"), or that names an institution noun in apposition ("the
    operator, Meridian Terminals"), is that organisation; a "person" modifying a common noun
    ("the Veltran fisheries agency") is no speaker at all.
    """
    label = ent.label_
    if label not in ("PERSON", "ORG", "GPE", "NORP"):
        return None
    root = ent.root
    words = [t for t in ent if not t.is_punct and t.tag_ != "POS"]
    if label == "PERSON":
        if root.dep_ in ("compound", "amod") and (root.head.lower_ in ORG_NOUNS or not root.head.text[:1].isupper()):
            return None
        if len(words) > 1 and words[0].lower_ in org_words or _glosses_institution(root):
            return "ORG"
        return label
    glued = name_words([t for t in ent if t.tag_ != "POS"])
    if len(glued) == 1 and all(t.tag_ in ("NNP", "HYPH") for t in ent if t.tag_ != "POS") \
            and name_key(glued) in person_surnames:
        return "PERSON"
    if label == "ORG" and 2 <= len(words) <= 3 and all(t.tag_ == "NNP" and t.lower_ not in ORG_NOUNS for t in words) \
            and root.dep_ == "appos" and root.head.tag_ in ("NN", "NNS") and root.head.lower_ not in ORG_NOUNS:
        return "PERSON"
    return label


def _glosses_institution(root: Token) -> bool:
    """Whether a name stands in apposition to an institution noun ("the operator, Meridian Terminals")."""
    if root.dep_ == "appos" and root.head.lower_ in ORG_NOUNS and root.head.tag_ in ("NN", "NNS"):
        return True
    return any(c.dep_ == "appos" and c.lower_ in ORG_NOUNS and c.tag_ in ("NN", "NNS") for c in root.children)


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
