"""Who is speaking: canonical names, titles, roles and pronouns within one article.

An article introduces a person once in full ("Fisheries Minister Ana Lindqvist") and
then refers back by surname, role or pronoun. The registry built here from spaCy's
entities keeps one entry per person or organisation with its fullest name, its titles and
what the article reveals about gender; resolution then maps each attribution's subject
phrase onto an entry, pronouns by recency among gender-compatible, salient mentions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .claims import Speaker
from .tokens import TokenIndex

HONORIFICS = {
    "mr": "m", "mr.": "m", "mrs": "f", "mrs.": "f", "ms": "f", "ms.": "f", "miss": "f",
    "dr": None, "dr.": None, "sir": "m", "dame": "f", "lord": "m", "lady": "f",
}
# Words that open a name in running text but belong to the title, never to the name.
TITLE_WORDS = frozenset({
    "president", "vice", "prime", "minister", "sen", "sen.", "senator", "rep", "rep.",
    "representative", "gov", "gov.", "governor", "mayor", "judge", "justice", "gen",
    "gen.", "general", "secretary", "chancellor", "king", "queen", "prince", "princess",
    "pope", "rev", "rev.", "reverend", "father", "sister", "brother", "professor", "prof",
    "prof.", "chief", "officer", "commissioner", "ambassador", "adm", "adm.", "col",
    "col.", "lt", "lt.", "capt", "capt.", "sgt", "sgt.", "det", "det.", "attorney",
    "speaker", "leader", "chairman", "chairwoman", "director", "former", "candidate",
    "nominee", "spokesman", "spokeswoman", "spokesperson", "sheriff", "coach",
    "councilman", "councilwoman", "congressman", "congresswoman", "assemblyman",
    "assemblywoman", "lawmaker", "pastor", "rabbi", "imam", "cardinal", "bishop",
    "democrat", "republican", "gop", "presidential", "dem", "dem.",
})
GENDERED_NOUNS = {
    "spokesman": "m", "spokeswoman": "f", "chairman": "m", "chairwoman": "f",
    "congressman": "m", "congresswoman": "f", "councilman": "m", "councilwoman": "f",
    "businessman": "m", "businesswoman": "f", "king": "m", "queen": "f", "prince": "m",
    "princess": "f", "actor": "m", "actress": "f", "father": "m", "mother": "f",
    "husband": "m", "wife": "f", "son": "m", "daughter": "f", "brother": "m",
    "sister": "f", "uncle": "m", "aunt": "f", "grandfather": "m", "grandmother": "f",
    "boy": "m", "girl": "f", "man": "m", "woman": "f", "widow": "f", "widower": "m",
    "assemblyman": "m", "assemblywoman": "f", "sportsman": "m", "sportswoman": "f",
    "nephew": "m", "niece": "f", "godfather": "m", "stepmother": "f", "stepfather": "m",
    "girlfriend": "f", "boyfriend": "m", "fiancee": "f", "fiance": "m",
}
PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "himself": "m",
                  "she": "f", "her": "f", "hers": "f", "herself": "f"}
# Head nouns that make a phrase an institution rather than a person.
ORG_NOUNS = frozenset({
    "company", "firm", "ministry", "department", "agency", "association", "group",
    "committee", "council", "court", "campaign", "government", "administration",
    "office", "party", "union", "bank", "corporation", "organization", "organisation",
    "institute", "foundation", "commission", "board", "authority", "bureau", "service",
    "network", "newspaper", "paper", "magazine", "team", "club", "league", "federation",
    "embassy", "military", "army", "police", "university", "school", "college",
    "hospital", "charity", "coalition", "alliance", "regulator", "watchdog", "lab",
    "laboratory", "center", "centre", "society", "fund", "business", "startup",
    "manufacturer", "retailer", "airline", "carrier", "insurer", "lender", "operator",
    "developer", "provider", "utility", "station", "channel", "outlet", "house", "senate",
    "congress", "parliament", "cabinet", "panel", "caucus", "family", "state", "city",
    "county", "country", "nation", "kremlin", "pentagon", "prosecution", "defense",
    "defence", "white", "studio", "publisher", "platform", "website", "site", "app",
})
# Things that speak for whoever issued them ("a report by the ministry").
DOCUMENT_NOUNS = frozenset({
    "report", "statement", "study", "survey", "analysis", "filing", "memo", "letter", "document",
    "release", "poll", "audit", "review", "assessment", "estimate", "estimates", "data", "figures",
    "complaint", "lawsuit", "ruling", "testimony",
})
GENERIC_ORG_NOUNS = frozenset({
    "company", "firm", "group", "organization", "organisation", "business", "startup",
    "manufacturer", "retailer", "airline", "carrier", "insurer", "lender", "operator",
    "developer", "provider", "utility", "corporation", "bank", "network", "outlet",
    "publisher", "platform", "studio", "charity", "agency", "campaign",
})
# "Historian Greta Lund": a role word the entity recogniser swept into a three-word name.
_ROLE_SUFFIX = re.compile(r"(ian|ist|ant|ent|man|woman|er|or)$")
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_PLURAL_PRONOUNS = frozenset({"they", "them"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "some", "one", "another"})
_DEFINITE = frozenset({"the", "this", "that", "these", "those"})
_DROP_CHILD_DEPS = frozenset({"relcl", "appos", "punct", "cc", "conj", "acl", "advcl", "parataxis"})


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


@dataclass(frozen=True, slots=True)
class Resolution:
    speaker: Speaker
    entity: int | None
    how: str  # "named", "role", "pronoun", "unnamed", "unknown"
    ambiguous: bool = False


def _clean_name_tokens(span: Span, person: bool = True) -> tuple[list[Token], str | None]:
    """The name's own tokens (no article, honorific, title or possessive) and any gender cue."""
    toks = [t for t in span if not t.is_space]
    gender = None
    while toks and toks[-1].tag_ == "POS" or toks and toks[-1].lower_ in ("'s", "’s", "'", "’"):
        toks = toks[:-1]
    while toks and toks[0].lower_ in _DETERMINERS:
        toks = toks[1:]
    prev = span.doc[span.start - 1] if span.start > 0 else None
    if prev is not None and prev.lower_ in HONORIFICS:
        gender = HONORIFICS[prev.lower_]
    while len(toks) > 1 and (toks[0].lower_ in HONORIFICS or toks[0].lower_.rstrip(".") in TITLE_WORDS
                             or toks[0].lower_ in TITLE_WORDS
                             or person and len(toks) > 2 and _ROLE_SUFFIX.search(toks[0].lower_) is not None):
        if toks[0].lower_ in HONORIFICS:
            gender = HONORIFICS[toks[0].lower_] or gender
        toks = toks[1:]
    while toks and toks[-1].is_punct:
        toks = toks[:-1]
    return toks, gender


def _name_key(words: list[str]) -> str:
    core = [w for w in words if w.lower() not in _NAME_SUFFIXES]
    return (core or words)[-1].lower()


def _title_of(name_root: Token, name_start: int) -> str | None:
    """The role words the phrase gives the person ("harbour authority spokeswoman", "an analyst at X")."""
    doc = name_root.doc
    left = [t for t in name_root.subtree if t.i < name_start and t.dep_ in ("compound", "amod", "nmod", "poss", "case", "det", "nummod", "npadvmod")]
    if left:
        first = min(t.i for t in left)
        toks = [t for t in doc[first:name_start] if not (t.i == first and t.lower_ in _DETERMINERS)]
        toks = [t for t in toks if t.lower_ not in HONORIFICS]
        if toks and not all(t.tag_ in ("NNP", "NNPS") and t.ent_type_ == "PERSON" for t in toks):
            text = " ".join(t.text for t in toks).replace(" 's", "'s").replace(" ’s", "’s")
            if text:
                return text
    for child in name_root.children:
        if child.dep_ == "appos" and child.ent_type_ != "PERSON":
            return description(child)
    if name_root.dep_ == "appos" and name_root.head.ent_type_ != "PERSON":
        return description(name_root.head)
    return None


def description(head: Token, max_words: int = 9) -> str:
    """A noun phrase as a short label: no leading article, relative clause or apposition."""
    keep: list[Token] = []

    def walk(tok: Token, top: bool) -> None:
        for child in tok.lefts:
            if child.dep_ not in _DROP_CHILD_DEPS:
                walk(child, False)
        keep.append(tok)
        for child in tok.rights:
            if child.dep_ not in _DROP_CHILD_DEPS and not (top and child.dep_ in ("advmod",)):
                walk(child, False)

    walk(head, True)
    keep.sort(key=lambda t: t.i)
    while keep and (keep[0].lower_ in _DETERMINERS or keep[0].is_punct):
        keep = keep[1:]
    while keep and keep[-1].is_punct:
        keep = keep[:-1]
    if len(keep) > max_words:
        keep = [t for t in keep if t.i <= head.i][-max_words:]
    doc = head.doc
    if not keep:
        return head.text
    return doc[keep[0].i:keep[-1].i + 1].text if keep[-1].i - keep[0].i + 1 == len(keep) else \
        " ".join(t.text for t in keep).replace(" 's", "'s").replace(" ’s", "’s")


def mention_text(head: Token) -> str:
    """The words the sentence uses for the speaker, without relative clauses."""
    keep = [head]
    for child in head.children:
        if child.dep_ not in ("relcl", "punct", "acl", "advcl", "parataxis", "cc", "conj"):
            keep.extend(child.subtree)
    keep.sort(key=lambda t: t.i)
    first, last = keep[0].i, keep[-1].i
    doc = head.doc
    while last > first and (doc[last].is_punct or doc[last].is_space):
        last -= 1
    while first < last and (doc[first].is_punct or doc[first].is_space):
        first += 1
    return doc[first:last + 1].text


def _paragraph_index(starts: list[int], pos: int) -> int:
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return max(lo - 1, 0)


def build_registry(doc: Doc, paragraph_starts: list[int], inside_quote=lambda pos: False) -> Registry:
    """Entities of the article from NER, surnames merged into the fullest name.

    Names inside quotations can refer to an entity but never lengthen its canonical name:
    speakers use nicknames and epithets that the reporter's own text does not.
    """
    entities: list[Entity] = []
    mentions: list[Mention] = []
    ent_of_token: dict[int, int] = {}
    by_surname: dict[str, list[int]] = {}
    orgs: dict[str, int] = {}
    persons_surnames = {
        _name_key([t.text for t in _clean_name_tokens(e)[0]])
        for e in doc.ents if e.label_ == "PERSON" and _clean_name_tokens(e)[0]}
    org_words = {e.text.lower() for e in doc.ents if e.label_ == "ORG" and len(e) == 1}
    for ent in doc.ents:
        label = _corrected_label(ent, persons_surnames, org_words)
        if label is None:
            continue
        toks, gender = _clean_name_tokens(ent, person=label == "PERSON")
        if not toks:
            continue
        words = [t.text for t in toks]
        key = _name_key(words)
        if label == "PERSON":
            idx = _find_person(entities, by_surname, words, key)
            if idx is None:
                idx = len(entities)
                entities.append(Entity(name=" ".join(words), kind="person"))
                by_surname.setdefault(key, []).append(idx)
            elif len(words) > len(entities[idx].name.split()) and not inside_quote(ent.start_char):
                entities[idx].name = " ".join(words)
            entity = entities[idx]
            title = _title_of(ent.root, toks[0].i)
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
                                paragraph=_paragraph_index(paragraph_starts, ent.start_char)))
    for e in entities:
        e.gender = _majority(e.gender_votes)
    return Registry(entities=entities, mentions=mentions, ent_of_token=ent_of_token)


def _corrected_label(ent: Span, person_surnames: set[str], org_words: set[str]) -> str | None:
    """The entity label with the small model's usual confusions between people and bodies undone.

    A lone surname already known as a person is a person; a capitalised two- or
    three-word name in apposition to a role noun ("head coach, Ines Duval") is a person;
    a "person" whose first word the article also uses alone as an organisation ("Norda
    Freight" beside "Norda") is that organisation; a "person" modifying a common noun
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
        if len(words) > 1 and words[0].lower_ in org_words:
            return "ORG"
        return label
    if len(words) == 1 and words[0].tag_ == "NNP" and _name_key([words[0].text]) in person_surnames:
        return "PERSON"
    if label == "ORG" and 2 <= len(words) <= 3 and all(t.tag_ == "NNP" and t.lower_ not in ORG_NOUNS for t in words) \
            and root.dep_ == "appos" and root.head.tag_ in ("NN", "NNS") and root.head.lower_ not in ORG_NOUNS:
        return "PERSON"
    return label


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
                len(existing[0]) <= 2 or len(first) <= 2):
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

    "Omar Reyes said his bakery ..." tells us Reyes is male; the vote is dropped when
    another person is named in between or the pronoun sits inside a quotation.
    """
    votes: list[tuple[int, str]] = []
    for m in registry.mentions:
        if not m.salient or registry.entities[m.entity].kind != "person":
            continue
        start = index.at_or_after(m.pos)
        if start >= len(doc):
            continue
        sent_end = index.sentence(start)[1]
        for t in doc[start + 1:min(sent_end, start + 14)]:
            if t.i in registry.ent_of_token and registry.ent_of_token[t.i] != m.entity and \
                    registry.entities[registry.ent_of_token[t.i]].kind == "person":
                break
            if t.lower_ in PRONOUN_GENDER and t.tag_ in ("PRP", "PRP$"):
                if not inside_quote(t.idx):
                    votes.append((m.entity, PRONOUN_GENDER[t.lower_]))
                break
    for idx, g in votes:
        e = registry.entities[idx]
        e.gender_votes[g] = e.gender_votes.get(g, 0) + 1
    for e in registry.entities:
        e.gender = _majority(e.gender_votes)


def _entity_in_phrase(head: Token, registry: Registry) -> tuple[int, Token] | None:
    """An entity named by the phrase itself or by its apposition ("the club's coach, Ines Duval")."""
    if head.i in registry.ent_of_token:
        return registry.ent_of_token[head.i], head
    for child in head.children:
        if child.dep_ == "appos" and child.i in registry.ent_of_token:
            idx = registry.ent_of_token[child.i]
            if registry.entities[idx].kind == "person":
                return idx, child
    for child in head.children:
        if child.dep_ == "compound" and child.i in registry.ent_of_token and head.tag_ in ("NNP", "NNPS") \
                and head.lower_ not in ORG_NOUNS:
            return registry.ent_of_token[child.i], child
    return None


def _speaker_for(entity: Entity, mention: str, title: str | None) -> Speaker:
    return Speaker(name=entity.name, mention=mention, title=title if entity.kind == "person" else None,
                   kind="person" if entity.kind == "person" else "organization")


class Resolver:
    """Resolves subjects to speakers in article order, remembering who spoke last.

    State lives only for one article: pronoun resolution needs the claims already
    attributed before the current one.
    """

    def __init__(self, doc: Doc, registry: Registry, paragraph_starts: list[int]):
        self.doc = doc
        self.registry = registry
        self.paragraph_starts = paragraph_starts
        self.history: list[tuple[int, int, Resolution]] = []  # (pos, paragraph, resolution)

    def paragraph(self, pos: int) -> int:
        return _paragraph_index(self.paragraph_starts, pos)

    def remember(self, pos: int, res: Resolution) -> None:
        self.history.append((pos, self.paragraph(pos), res))
        if res.entity is not None:
            self.registry.mentions.append(Mention(pos=pos, entity=res.entity, salient=True,
                                                  paragraph=self.paragraph(pos)))
            self.registry.mentions.sort(key=lambda m: m.pos)

    def last_speaker(self, before: int, max_back: int = 1) -> Resolution | None:
        para = self.paragraph(before)
        for pos, p, res in reversed(self.history):
            if pos >= before:
                continue
            if para - p > max_back:
                return None
            if res.how != "unknown":
                return res
        return None

    def last_named_person(self, before: int, max_back: int = 1) -> Resolution | None:
        para = self.paragraph(before)
        for m in reversed(self.registry.mentions):
            if m.pos >= before:
                continue
            if para - m.paragraph > max_back:
                return None
            e = self.registry.entities[m.entity]
            if e.kind == "person":
                return Resolution(_speaker_for(e, e.name, e.titles[0] if e.titles else None), m.entity, "named", True)
        return None

    def resolve(self, head: Token, exclude: tuple[int, int]) -> Resolution:
        """The speaker named by the phrase headed by `head`; `exclude` is the claim's own span."""
        reg = self.registry
        low = head.lower_
        if head.tag_ == "PRP" or low in PRONOUN_GENDER or low in _PLURAL_PRONOUNS:
            return self._pronoun(head, exclude)
        found = _entity_in_phrase(head, reg)
        mention = mention_text(head)
        if found is not None:
            idx, name_tok = found
            e = reg.entities[idx]
            title = None
            if e.kind == "person":
                title = _title_of(name_tok, _name_start(name_tok, reg)) or (e.titles[0] if e.titles else None)
            return Resolution(_speaker_for(e, mention, title), idx, "named")
        if low == "office" or low in DOCUMENT_NOUNS:
            # "Putin's office said", "a report by the transit authority", "a statement from
            # Lumen": the entity that owns or issued the office or document is the speaker.
            for child in head.children:
                owner = child if child.dep_ == "poss" else None
                if child.dep_ == "prep" and child.lower_ in ("by", "from", "of"):
                    owner = next((g for g in child.children if g.dep_ == "pobj"), None)
                if owner is None:
                    continue
                found = _entity_in_phrase(owner, reg)
                if found is not None:
                    idx = found[0]
                    return Resolution(_speaker_for(reg.entities[idx], mention, None), idx, "named")
        if head.tag_ in ("NNP", "NNPS") and head.text[:1].isupper() and head.lower_ not in ORG_NOUNS:
            return self._unlisted_name(head, mention)
        det = next((c for c in head.children if c.dep_ in ("det", "poss")), None)
        if det is not None and det.lower_ in _DEFINITE:
            role = self._role(head, mention, exclude)
            if role is not None:
                return role
        desc = description(head)
        kind = "organization" if low in ORG_NOUNS else "unnamed"
        return Resolution(Speaker(name=desc, mention=mention, title=None, kind=kind), None, "unnamed")

    def _unlisted_name(self, head: Token, mention: str) -> Resolution:
        toks = [c for c in head.lefts if c.dep_ == "compound" and c.tag_ in ("NNP", "NNPS")] + [head]
        toks = [t for t in toks if t.lower_ not in HONORIFICS and t.lower_.rstrip(".") not in TITLE_WORDS] or [head]
        words = [t.text for t in toks]
        key = _name_key(words)
        reg = self.registry
        for idx in range(len(reg.entities) - 1, -1, -1):
            e = reg.entities[idx]
            if _name_key(e.name.split()) == key:
                return Resolution(_speaker_for(e, mention, e.titles[0] if e.titles else None), idx, "named")
        kind = "organization" if head.lower_ in ORG_NOUNS else "person"
        reg.entities.append(Entity(name=" ".join(words), kind=kind))
        idx = len(reg.entities) - 1
        for t in toks:
            reg.ent_of_token[t.i] = idx
        return Resolution(_speaker_for(reg.entities[idx], mention, None), idx, "named")

    def _role(self, head: Token, mention: str, exclude: tuple[int, int]) -> Resolution | None:
        """"The minister", "the company": the entity the article introduced in that role."""
        reg = self.registry
        extra = [c for c in head.children if c.dep_ not in ("det", "punct", "relcl", "acl", "appos")]
        if extra:
            return None
        word = head.lower_
        pos = head.idx
        candidates = [m for m in reg.mentions if m.pos < pos and not exclude[0] <= m.pos < exclude[1]]
        if word in ORG_NOUNS:
            # An organisation that is a subject inside the claim itself is the fallback:
            # "Lumen will close its plant in Dover, the company said" names its speaker only
            # there. Nearest first outside the claim; first (the clause's subject) inside it.
            inside = [m for m in reversed(reg.mentions) if m.pos < pos and exclude[0] <= m.pos < exclude[1]
                      and m.salient]
            for pool in (candidates, inside):
                for m in reversed(pool):
                    e = reg.entities[m.entity]
                    if e.kind == "organization" and word in e.name.lower().split():
                        return Resolution(_speaker_for(e, mention, None), m.entity, "role")
                if word in GENERIC_ORG_NOUNS:
                    for m in reversed(pool):
                        e = reg.entities[m.entity]
                        if e.kind == "organization" and not e.plural:
                            return Resolution(_speaker_for(e, mention, None), m.entity, "role")
            return None
        for m in reversed(candidates):
            e = reg.entities[m.entity]
            if e.kind == "person" and any(word in t.lower().replace("-", " ").split() for t in e.titles):
                return Resolution(_speaker_for(e, mention, next(t for t in e.titles if word in t.lower())),
                                  m.entity, "role")
        return None

    def _pronoun(self, head: Token, exclude: tuple[int, int]) -> Resolution:
        low = head.lower_
        reg = self.registry
        pos = head.idx
        para = self.paragraph(pos)
        gender = PRONOUN_GENDER.get(low)
        mention = head.text
        if low in ("i", "we", "you", "me", "us"):
            return Resolution(Speaker(name=mention, mention=mention, kind="unknown"), None, "unknown")
        candidates = [m for m in reg.mentions if m.pos < pos and para - m.paragraph <= 2
                      and not exclude[0] <= m.pos < exclude[1]]
        if gender is not None:
            compatible = [m for m in candidates if reg.entities[m.entity].kind == "person"
                          and reg.entities[m.entity].gender in (None, gender)]
        elif low in _PLURAL_PRONOUNS:
            last = self.last_speaker(pos, max_back=2)
            if last is not None and (last.speaker.kind == "organization" or last.speaker.name.endswith("s")
                                     and last.speaker.kind == "unnamed"):
                return Resolution(Speaker(name=last.speaker.name, mention=mention, title=last.speaker.title,
                                          kind=last.speaker.kind), last.entity, "pronoun", True)
            compatible = [m for m in candidates if reg.entities[m.entity].kind == "organization"]
        else:
            compatible = [m for m in candidates if reg.entities[m.entity].kind == "organization"]
        if not compatible:
            return Resolution(Speaker(name=mention, mention=mention, kind="unknown"), None, "unknown")
        salient = [m for m in compatible if m.salient]
        chosen = (salient or compatible)[-1]
        distinct = {m.entity for m in compatible if para - m.paragraph <= 1}
        e = reg.entities[chosen.entity]
        if gender is not None and e.gender is None:
            e.gender = gender
        return Resolution(_speaker_for(e, mention, e.titles[0] if e.titles else None), chosen.entity, "pronoun",
                          ambiguous=len(distinct) > 1)


def _name_start(tok: Token, registry: Registry) -> int:
    idx = registry.ent_of_token.get(tok.i)
    i = tok.i
    while i - 1 >= 0 and registry.ent_of_token.get(i - 1) == idx and idx is not None:
        i -= 1
    doc = tok.doc
    while i < tok.i and (doc[i].lower_ in _DETERMINERS or doc[i].lower_ in HONORIFICS
                         or doc[i].lower_.rstrip(".") in TITLE_WORDS):
        i += 1
    return i
