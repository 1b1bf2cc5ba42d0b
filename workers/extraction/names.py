"""Names, titles and roles as news writes them: the word lists and the helpers that turn
a phrase into a canonical name ("Fisheries Minister Ana Lindqvist" → "Ana Lindqvist", title
"Fisheries Minister"), shared by the registry and the resolver."""
from __future__ import annotations

import re

from spacy.tokens import Span, Token

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
NAME_TITLES = TITLE_WORDS - frozenset({
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
# Last words that make a name a firm's, whatever the recogniser says ("Halvorsen Pharma",
# "Norda Freight Inc."): none of them ends a person's name in news text.
COMPANY_SUFFIXES = frozenset({
    "pharma", "pharmaceuticals", "therapeutics", "biotech", "inc", "inc.", "corp", "corp.", "co", "co.",
    "ltd", "ltd.", "llc", "plc", "ag", "gmbh", "sa", "nv", "holdings", "group", "bank", "airlines",
    "airways", "air", "energy", "capital", "partners", "motors", "labs", "systems", "technologies",
    "foods", "media", "telecom", "logistics", "freight", "shipping", "mining", "industries", "insurance",
    "ventures", "solutions", "securities", "investments", "properties", "electric", "petroleum", "oil",
    "chemicals", "steel", "software", "entertainment", "communications", "networks", "health",
    "healthcare", "analytics", "robotics", "aerospace", "automotive", "brewing", "textiles",
})
# Nouns that say, in apposition, that a name is a firm or a body ("Halvorsen Pharma, a drug
# maker"), beyond the institution nouns; "maker" only when it makes goods, not policy.
INSTITUTION_GLOSSES = ORG_NOUNS | frozenset({
    "maker", "drugmaker", "automaker", "carmaker", "chipmaker", "giant", "conglomerate", "supplier",
    "chain", "brand", "miner", "distributor", "exporter", "importer", "broadcaster", "wholesaler",
    "shipper",
})
_PERSON_MAKERS = frozenset({"policy", "decision", "peace", "film", "movie", "trouble", "match", "king", "law"})
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
PLURAL_PRONOUNS = frozenset({"they", "them"})
# How many paragraphs back "the official" may refer to an unnamed source; an article
# keeps calling the one body it is about "the department" for much longer.
ROLE_REACH = 3
ORG_ROLE_REACH = 10
# How many paragraphs back a quote paragraph with no cue may continue the last speaker.
QUOTE_REACH = 2
DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "some", "one", "another"})
DEFINITE = frozenset({"the", "this", "that", "these", "those"})
_DROP_CHILD_DEPS = frozenset({"relcl", "appos", "punct", "cc", "conj", "acl", "advcl", "parataxis"})


def glosses_institution(noun: Token) -> bool:
    """Whether a common noun describes a firm or a body ("a drug maker based in Oslo", "the
    operator"), not a person ("a policy maker")."""
    low = noun.lower_
    if noun.tag_ not in ("NN", "NNS") or low not in INSTITUTION_GLOSSES:
        return False
    if low == "maker":
        return not any(c.dep_ in ("compound", "amod") and c.lower_ in _PERSON_MAKERS for c in noun.children)
    return True


def is_title_word(low: str) -> bool:
    """Whether a lower-cased word is an honorific or a title word, with or without its full stop."""
    return low in HONORIFICS or low.rstrip(".") in TITLE_WORDS


def clean_name_tokens(span: Span, person: bool = True) -> tuple[list[Token], str | None]:
    """The name's own tokens (no article, honorific, title or possessive) and any gender cue."""
    toks = [t for t in span if not t.is_space]
    gender = None
    while toks and toks[-1].tag_ == "POS" or toks and toks[-1].lower_ in ("'s", "’s", "'", "’"):
        toks = toks[:-1]
    while toks and toks[0].lower_ in DETERMINERS:
        toks = toks[1:]
    prev = span.doc[span.start - 1] if span.start > 0 else None
    if prev is not None and prev.lower_ in HONORIFICS:
        gender = HONORIFICS[prev.lower_]
    while len(toks) > 1 and (is_title_word(toks[0].lower_)
                             or person and len(toks) > 2 and toks[0].whitespace_
                             and _ROLE_SUFFIX.search(toks[0].lower_) is not None):
        if toks[0].lower_ in HONORIFICS:
            gender = HONORIFICS[toks[0].lower_] or gender
        toks = toks[1:]
    while toks and toks[-1].is_punct:
        toks = toks[:-1]
    return toks, gender


def name_words(toks: list[Token]) -> list[str]:
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


def name_key(words: list[str]) -> str:
    core = [w for w in words if w.lower() not in _NAME_SUFFIXES]
    return fold((core or words)[-1])


def person_name(words: list[str]) -> str:
    """A person's name as written, but "MORROW" (a transcript label or a shouting headline) as "Morrow"."""
    return " ".join(w.title() if w.isupper() and len(w) > 2 and w.isalpha() else w for w in words)


def fold(word: str) -> str:
    """A name word compared case- and apostrophe-blind ("O’Connor" is "O'Connor")."""
    return word.lower().replace("’", "'")


def is_tail(shorter: list[str], longer: list[str]) -> bool:
    """Whether a name is the last words of another ("Van Dijk" of "Marta van Dijk")."""
    return len(shorter) < len(longer) and [fold(w) for w in shorter] == [fold(w) for w in longer[-len(shorter):]]


def title_of(name_root: Token, name_start: int) -> str | None:
    """The role words the phrase gives the person ("harbour authority spokeswoman", "an analyst at X")."""
    doc = name_root.doc
    left = [t for t in name_root.subtree if t.i < name_start and t.dep_ in ("compound", "amod", "nmod", "poss", "case", "det", "nummod", "npadvmod")]
    if left:
        first = min(t.i for t in left)
        toks = [t for t in doc[first:name_start] if not (t.i == first and t.lower_ in DETERMINERS)]
        toks = [t for t in toks if t.lower_ not in HONORIFICS]
        # The recogniser often sweeps the title into the name ("Councilwoman Rosa Lind",
        # "Campaigner Rita Kohl" as one PERSON): a title or role word there is still the title.
        if toks and not all(t.tag_ in ("NNP", "NNPS") and t.ent_type_ == "PERSON" and not is_title_word(t.lower_)
                            and not (t.i == first and _ROLE_SUFFIX.search(t.lower_)) for t in toks):
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
    while keep and keep[0] is not head and (keep[0].lower_ in DETERMINERS or keep[0].is_punct):
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


