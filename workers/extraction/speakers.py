"""Who is speaking: canonical names, titles, roles and pronouns within one article.

An article introduces a person once in full ("Fisheries Minister Ana Lindqvist") and
then refers back by surname, role or pronoun. The registry built here from spaCy's
entities keeps one entry per person or organisation with its fullest name, its titles and
what the article reveals about gender; resolution then maps each attribution's subject
phrase onto an entry, pronouns by recency among gender-compatible, salient mentions.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace

from spacy.tokens import Doc, Span, Token

from .claims import Speaker
from .reported import is_age_description, subject_of
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
# Title words that stand directly before a person's name ("Mayor", "Sen.", "Judge").
_NAME_TITLES = TITLE_WORDS - frozenset({
    "former", "vice", "prime", "democrat", "republican", "gop", "presidential", "dem", "dem.",
    "candidate", "nominee", "leader", "chief", "officer", "director", "speaker", "attorney", "lawmaker",
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
    "defence", "white", "studio", "publisher", "platform", "website", "site", "app", "consultancy",
})
# People who speak for the institution they work at ("analysts at Brightwater Capital").
STAFF_NOUNS = frozenset({
    "analysts", "economists", "researchers", "scientists", "engineers", "experts", "strategists",
    "officials", "executives", "spokespeople", "spokesmen", "spokeswomen", "lawyers", "attorneys",
    "representatives", "staff", "staffers", "employees", "managers", "investigators", "auditors",
})
# Things that speak for whoever issued them ("a report by the ministry").
DOCUMENT_NOUNS = frozenset({
    "report", "statement", "study", "survey", "analysis", "filing", "memo", "letter", "document",
    "release", "poll", "audit", "review", "assessment", "estimate", "estimates", "data", "figures",
    "complaint", "lawsuit", "ruling", "testimony",
    # Recordings speak for whoever they show: "footage of the senator saying ...".
    "footage", "video", "clip", "recording", "tape", "audio", "transcript",
})
GENERIC_ORG_NOUNS = frozenset({
    "company", "firm", "group", "organization", "organisation", "business", "startup",
    "manufacturer", "retailer", "airline", "carrier", "insurer", "lender", "operator",
    "developer", "provider", "utility", "corporation", "bank", "network", "outlet",
    "publisher", "platform", "studio", "charity", "agency", "campaign", "consultancy",
})
# "Historian Greta Lund": a role word the entity recogniser swept into a three-word name.
_ROLE_SUFFIX = re.compile(r"(ian|ist|ant|ent|man|woman|er|or)$")
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_PLURAL_PRONOUNS = frozenset({"they", "them"})
# How many paragraphs back "the official" may refer to an unnamed source; an article
# keeps calling the one body it is about "the department" for much longer.
_ROLE_REACH = 3
_ORG_ROLE_REACH = 10
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


def _is_title_word(low: str) -> bool:
    """Whether a lower-cased word is an honorific or a title word, with or without its full stop."""
    return low in HONORIFICS or low.rstrip(".") in TITLE_WORDS


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
    while len(toks) > 1 and (_is_title_word(toks[0].lower_)
                             or person and len(toks) > 2 and toks[0].whitespace_
                             and _ROLE_SUFFIX.search(toks[0].lower_) is not None):
        if toks[0].lower_ in HONORIFICS:
            gender = HONORIFICS[toks[0].lower_] or gender
        toks = toks[1:]
    while toks and toks[-1].is_punct:
        toks = toks[:-1]
    return toks, gender


def _name_words(toks: list[Token]) -> list[str]:
    """The words of a name, with tokens written together kept together ("Weller-Ortiz")."""
    words: list[str] = []
    glued = False
    for t in toks:
        if glued and words:
            words[-1] += t.text
        else:
            words.append(t.text)
        glued = not t.whitespace_
    return words


def _name_key(words: list[str]) -> str:
    core = [w for w in words if w.lower() not in _NAME_SUFFIXES]
    return _fold((core or words)[-1])


def _person_name(words: list[str]) -> str:
    """A person's name as written, but "MORROW" (a transcript label or a shouting headline) as "Morrow"."""
    return " ".join(w.title() if w.isupper() and len(w) > 2 and w.isalpha() else w for w in words)


def _fold(word: str) -> str:
    """A name word compared case- and apostrophe-blind ("O’Connor" is "O'Connor")."""
    return word.lower().replace("’", "'")


def _is_tail(shorter: list[str], longer: list[str]) -> bool:
    """Whether a name is the last words of another ("Van Dijk" of "Marta van Dijk")."""
    return len(shorter) < len(longer) and [_fold(w) for w in shorter] == [_fold(w) for w in longer[-len(shorter):]]


def _title_of(name_root: Token, name_start: int) -> str | None:
    """The role words the phrase gives the person ("harbour authority spokeswoman", "an analyst at X")."""
    doc = name_root.doc
    left = [t for t in name_root.subtree if t.i < name_start and t.dep_ in ("compound", "amod", "nmod", "poss", "case", "det", "nummod", "npadvmod")]
    if left:
        first = min(t.i for t in left)
        toks = [t for t in doc[first:name_start] if not (t.i == first and t.lower_ in _DETERMINERS)]
        toks = [t for t in toks if t.lower_ not in HONORIFICS]
        if toks and not all(t.tag_ in ("NNP", "NNPS") and t.ent_type_ == "PERSON" for t in toks):
            text = "".join(t.text_with_ws for t in toks).strip()
            if text:
                return text
    for child in name_root.children:
        if child.dep_ == "appos" and child.ent_type_ != "PERSON" and not _parenthesised(child) \
                and child.tag_ != "CD":
            return description(child)
    if name_root.dep_ == "appos" and name_root.head.ent_type_ != "PERSON":
        return description(name_root.head)
    if name_root.dep_ == "nsubj":
        # "The fund's chair, Grace Liu, said": parsed as two subjects of "said".
        role = next((c for c in name_root.head.children if c.dep_ == "nsubj" and c.i < name_root.i
                     and c.tag_ in ("NN", "NNS")), None)
        if role is not None:
            return description(role)
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
            if child.dep_ not in _DROP_CHILD_DEPS and not (top and child.dep_ in ("advmod", "case")):
                walk(child, False)

    walk(head, True)
    keep.sort(key=lambda t: t.i)
    # "One of them", "some of the fans": the quantifier heads the phrase and stays.
    while keep and keep[0] is not head and (keep[0].lower_ in _DETERMINERS or keep[0].is_punct):
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


def _parenthesised(tok: Token) -> bool:
    """A bracketed aside such as a party and state, "(D-Md.)": neither a title nor part of a mention."""
    i = tok.left_edge.i
    return i > 0 and tok.doc[i - 1].text in ("(", "[")


def _in_clause_below(tok: Token, top: Token) -> bool:
    """Whether a token belongs to a relative or participle clause nested below `top`
    ("farmers in the valley, who argued ...": the clause is not part of the mention)."""
    while tok.i != top.i:
        if tok.dep_ in ("relcl", "acl", "advcl"):
            return True
        tok = tok.head
    return False


def mention_text(head: Token) -> str:
    """The words the sentence uses for the speaker, without relative clauses."""
    keep = [head]
    for child in head.children:
        if child.dep_ not in ("relcl", "punct", "acl", "advcl", "parataxis", "cc", "conj", "npadvmod", "case") \
                and not _parenthesised(child):
            keep.extend(t for t in child.subtree if not _in_clause_below(t, child))
    keep.sort(key=lambda t: t.i)
    first, last = keep[0].i, keep[-1].i
    doc = head.doc
    while last > first and (doc[last].is_punct or doc[last].is_space):
        last -= 1
    while first < last and (doc[first].is_punct or doc[first].is_space):
        first += 1
    return doc[first:last + 1].text


def _paragraph_index(starts: list[int], pos: int) -> int:
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
        _name_key(_name_words(toks))
        for toks in (_clean_name_tokens(e)[0] for e in spans if e.label_ == "PERSON") if toks}
    org_words = {e.text.lower() for e in spans if e.label_ == "ORG" and len(e) == 1}
    for ent in spans:
        label = _corrected_label(ent, persons_surnames, org_words)
        if label is None:
            continue
        toks, gender = _clean_name_tokens(ent, person=label == "PERSON")
        if not toks:
            continue
        words = _name_words(toks)
        key = _name_key(words)
        if label == "PERSON":
            idx = _find_person(entities, by_surname, words, key)
            if idx is None:
                idx = len(entities)
                entities.append(Entity(name=_person_name(words), kind="person"))
                by_surname.setdefault(key, []).append(idx)
            elif len(words) > len(entities[idx].name.split()) and not inside_quote(ent.start_char):
                entities[idx].name = _person_name(words)
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
    return low in HONORIFICS or low.rstrip(".") in _NAME_TITLES


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
    glued = _name_words([t for t in ent if t.tag_ != "POS"])
    if len(glued) == 1 and all(t.tag_ in ("NNP", "HYPH") for t in ent if t.tag_ != "POS") \
            and _name_key(glued) in person_surnames:
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
                len(existing[0]) <= 2 or len(first) <= 2) or _is_tail(words, existing) or _is_tail(existing, words):
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
        if not m.salient or not _may_be_person(registry.entities[m.entity]):
            continue
        start = index.at_or_after(m.pos)
        if start >= len(doc):
            continue
        sent_end = index.sentence(start)[1]
        for t in doc[start + 1:min(sent_end, start + 14)]:
            if t.i in registry.ent_of_token and registry.ent_of_token[t.i] != m.entity and \
                    registry.entities[registry.ent_of_token[t.i]].kind == "person":
                break
            if _refers_back(t):
                if not inside_quote(t.idx):
                    votes.append((m.entity, PRONOUN_GENDER[t.lower_]))
                break
    for idx, g in votes:
        e = registry.entities[idx]
        e.gender_votes[g] = e.gender_votes.get(g, 0) + 1
        e.kind = "person"
    for e in registry.entities:
        e.gender = _majority(e.gender_votes)


def _refers_back(tok: Token) -> bool:
    """A pronoun that usually refers to the sentence's subject: "he", "his", "herself", and
    "her" as a possessive. An object ("thanked him") is usually somebody else."""
    if tok.lower_ not in PRONOUN_GENDER or tok.tag_ not in ("PRP", "PRP$"):
        return False
    if tok.lower_ == "her":
        return tok.tag_ == "PRP$"
    return tok.lower_ != "him"


def _may_be_person(e: Entity) -> bool:
    """A person, or a lone capitalised word the recogniser called an organisation ("Varga
    said ... she noted"): the small model often takes a surname for a firm, and a "he" or
    "she" that follows it in its own sentence settles which it is."""
    if e.kind == "person":
        return True
    words = e.name.split()
    return len(words) == 1 and not e.plural and words[0][:1].isupper() and not words[0].isupper() \
        and words[0].lower() not in ORG_NOUNS


def _entity_in_phrase(head: Token, registry: Registry) -> tuple[int, Token] | None:
    """An entity named by the phrase itself or by its apposition ("the club's coach, Ines Duval",
    "the operator, Meridian Terminals")."""
    if head.i in registry.ent_of_token:
        return registry.ent_of_token[head.i], head
    for child in head.children:
        if child.dep_ == "appos" and child.i in registry.ent_of_token:
            idx = registry.ent_of_token[child.i]
            if registry.entities[idx].kind == "person" or head.lower_ in ORG_NOUNS:
                return idx, child
    for child in head.children:
        if child.dep_ == "compound" and child.i in registry.ent_of_token and head.tag_ in ("NNP", "NNPS") \
                and head.lower_ not in ORG_NOUNS:
            return registry.ent_of_token[child.i], child
    return None


def _speaker_for(entity: Entity, mention: str, title: str | None) -> Speaker:
    return Speaker(name=entity.name, mention=mention, title=title if entity.kind == "person" else None,
                   kind="person" if entity.kind == "person" else "organization")


def _office_of(res: Resolution, head: Token) -> Resolution:
    """"Brandt's office said": the office speaks, not Karl Brandt in person, so the speaker is
    "Karl Brandt's office", an organisation, and no pronoun later refers back to it."""
    if head.lower_ != "office" or res.speaker.kind != "person":
        return res
    name = f"{res.speaker.name}'s office"
    return Resolution(Speaker(name=name, mention=res.speaker.mention, title=None, kind="organization"), None,
                      res.how, res.ambiguous)


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
        para = self.paragraph(pos)
        self.history.append((pos, para, res))
        if res.entity is not None:
            # After any mention at the same position, where a stable sort would put it.
            bisect.insort(self.registry.mentions, Mention(pos=pos, entity=res.entity, salient=True, paragraph=para),
                          key=lambda m: m.pos)

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
            issuer = self._issuer(head, mention, exclude)
            if issuer is not None:
                return issuer
        if head.tag_ in ("NNP", "NNPS") and head.text[:1].isupper() and head.lower_ not in ORG_NOUNS:
            return self._unlisted_name(head, mention)
        known = self._known_surname(head, mention) or self._group_at(head, mention)
        if known is not None:
            return known
        det = next((c for c in head.children if c.dep_ in ("det", "poss")), None)
        if det is not None and det.lower_ in _DEFINITE:
            role = self._role(head, mention, exclude)
            if role is not None:
                return role
            if is_age_description(head):
                # "The 61-year-old": the person just named, as a title names them.
                person = self.last_named_person(head.idx, max_back=1)
                if person is not None:
                    return Resolution(replace(person.speaker, mention=mention), person.entity, "role")
        desc = description(head)
        kind = "organization" if low in ORG_NOUNS else "unnamed"
        return Resolution(Speaker(name=desc, mention=mention, title=None, kind=kind), None, "unnamed")

    def resolve_label(self, label: str) -> Resolution:
        """The speaker of a transcript turn labelled "HOLT" or "Ms. Holt".

        The label is a surname or a titled name: it is the person of that surname the
        article names, else a person known only by the label (capitalised as a name).
        """
        words = [w for w in label.split() if not _is_title_word(w.lower())]
        words = words or label.split()
        known = self._by_key(_name_key(words), label)
        if known is not None:
            return known
        reg = self.registry
        reg.entities.append(Entity(name=_person_name(words), kind="person"))
        return Resolution(_speaker_for(reg.entities[-1], label, None), len(reg.entities) - 1, "named")

    def _issuer(self, head: Token, mention: str, exclude: tuple[int, int]) -> Resolution | None:
        """Who speaks through an office or a document.

        "Putin's office said" (Vladimir Putin's office), "a report by the transit authority", "a statement from
        Lumen", "figures released by the ministry": the owner or author named in the phrase.
        "The ministry released a statement saying ...": whoever released it. "His letter
        says": the person the pronoun names.
        """
        reg = self.registry
        for child in head.children:
            owner = child if child.dep_ == "poss" else None
            if child.dep_ == "prep" and child.lower_ in ("by", "from", "of"):
                owner = next((g for g in child.children if g.dep_ == "pobj"), None)
            elif child.dep_ == "acl" and child.tag_ == "VBN":
                # "figures released by the department"
                agent = next((g for g in child.children if g.dep_ == "agent"), None)
                owner = next((g for g in agent.children if g.dep_ == "pobj"), None) if agent is not None else None
            if owner is None:
                continue
            found = _entity_in_phrase(owner, reg)
            if found is not None:
                idx = found[0]
                return _office_of(Resolution(_speaker_for(reg.entities[idx], mention, None), idx, "named"), head)
            if owner.lower_ in PRONOUN_GENDER or owner.lower_ in ("its", "their"):
                res = self._pronoun(owner, exclude)
                return _office_of(res, head) if res.how != "unknown" else None
            if owner.tag_ in ("NN", "NNS"):
                return self.resolve(owner, exclude)
        if head.dep_ == "dobj" and head.head.tag_.startswith("VB"):
            subject = subject_of(head.head)
            if subject is not None and subject.i != head.i and subject.lower_ not in ("it", "this", "that", "which"):
                res = self.resolve(subject, exclude)
                return res if res.how != "unknown" else None
        return None

    def _group_at(self, head: Token, mention: str) -> Resolution | None:
        """"Analysts at Brightwater Capital", "engineers from Halden & Roe": the firm speaks
        through its staff, and a fact-checker files the claim under the firm."""
        if head.tag_ != "NNS" or head.lower_ not in STAFF_NOUNS:
            return None
        for prep in head.children:
            if prep.dep_ != "prep" or prep.lower_ not in ("at", "from", "of", "with"):
                continue
            pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
            found = _entity_in_phrase(pobj, self.registry) if pobj is not None else None
            if found is not None and self.registry.entities[found[0]].kind == "organization":
                return Resolution(_speaker_for(self.registry.entities[found[0]], mention, None), found[0], "named")
        return None

    def _by_key(self, key: str, mention: str, person_only: bool = True) -> Resolution | None:
        """The newest entity whose name's key (its folded surname) is `key`; a person only,
        unless `person_only` is False."""
        reg = self.registry
        for idx in range(len(reg.entities) - 1, -1, -1):
            e = reg.entities[idx]
            if (not person_only or e.kind == "person") and _name_key(e.name.split()) == key:
                return Resolution(_speaker_for(e, mention, e.titles[0] if e.titles else None), idx, "named")
        return None

    def _known_surname(self, head: Token, mention: str) -> Resolution | None:
        """A capitalised word the tagger took for a common noun ("Anders said" as a plural)
        that is the surname of someone the article names."""
        if not head.text[:1].isupper() or head.tag_ not in ("NN", "NNS") or any(c.dep_ == "det" for c in head.children):
            return None
        return self._by_key(_fold(head.text), mention)

    def _unlisted_name(self, head: Token, mention: str) -> Resolution:
        toks = [c for c in head.lefts if c.dep_ == "compound" and c.tag_ in ("NNP", "NNPS")] + [head]
        titles = [k for k, t in enumerate(toks) if _is_title_word(t.lower_)]
        # "Fire Chief Ana Lind": what precedes the last title word belongs to the title.
        toks = toks[titles[-1] + 1:] if titles else toks
        toks = toks or [head]
        words = _name_words(toks)
        known = self._by_key(_name_key(words), mention, person_only=False)
        if known is not None:
            return known
        reg = self.registry
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
            return self._earlier_unnamed(word, mention, pos)
        for m in reversed(candidates):
            e = reg.entities[m.entity]
            if e.kind == "person" and any(word in t.lower().replace("-", " ").split() for t in e.titles):
                return Resolution(_speaker_for(e, mention, next(t for t in e.titles if word in t.lower())),
                                  m.entity, "role")
        return self._earlier_unnamed(word, mention, pos)

    def _earlier_unnamed(self, word: str, mention: str, pos: int) -> Resolution | None:
        """"A senior ministry official said ... The official added ...": the same unnamed source.

        A role noun with no named entity behind it refers back to the last unnamed speaker
        described by that noun within a few paragraphs.
        """
        para = self.paragraph(pos)
        for spoke_at, p, res in reversed(self.history):
            if spoke_at >= pos:
                continue
            if para - p > (_ORG_ROLE_REACH if word in ORG_NOUNS else _ROLE_REACH):
                break
            sp = res.speaker
            if res.entity is None and sp.kind in ("unnamed", "organization") and sp.name.lower().split()[-1:] == [word]:
                return Resolution(Speaker(name=sp.name, mention=mention, kind=sp.kind), None, "role")
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
            last = self.last_speaker(pos, max_back=0)
            if last is not None and last.speaker.kind == "organization" and not last.speaker.name.endswith("s"):
                # "In a statement, the regulator said ... The airline, it added, ...": the
                # body that spoke last in the paragraph, named or not.
                return Resolution(Speaker(name=last.speaker.name, mention=mention, kind="organization"),
                                  last.entity, "pronoun", True)
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
    while i < tok.i and (doc[i].lower_ in _DETERMINERS or _is_title_word(doc[i].lower_)):
        i += 1
    return i
