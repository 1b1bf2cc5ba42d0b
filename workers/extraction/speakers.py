"""Who is speaking: each attribution's subject phrase resolved to one speaker of the article.

Names, surnames and roles are looked up in the article's registry (registry.py); pronouns
resolve by recency among gender-compatible, salient mentions, so resolution runs in article
order and remembers who spoke last.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Token

from .claims import Speaker
from .names import (DEFINITE, DETERMINERS, DOCUMENT_NOUNS, GENERIC_ORG_NOUNS, INSTITUTION_GLOSSES, ORG_NOUNS,
                    ORG_ROLE_REACH, PLURAL_PRONOUNS, PRONOUN_GENDER, QUOTE_REACH, ROLE_REACH, STAFF_NOUNS, description,
                    fold, is_title_word, mention_text, name_key, name_words, person_name, title_of)
from .registry import Entity, Mention, Registry, paragraph_index
from .reported import is_age_description, subject_of


@dataclass(frozen=True, slots=True)
class Resolution:
    speaker: Speaker
    entity: int | None
    how: str  # "named", "role", "pronoun", "unnamed", "unknown"
    ambiguous: bool = False


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
        self.quoted: list[tuple[int, int, Resolution]] = []  # the same, for quotations only

    def paragraph(self, pos: int) -> int:
        return paragraph_index(self.paragraph_starts, pos)

    def remember(self, pos: int, res: Resolution, quoted: bool = False) -> None:
        """Record who spoke at `pos`; `quoted` when the claim quotes their words."""
        para = self.paragraph(pos)
        self.history.append((pos, para, res))
        if quoted:
            self.quoted.append((pos, para, res))
        if res.entity is not None:
            # After any mention at the same position, where a stable sort would put it.
            bisect.insort(self.registry.mentions, Mention(pos=pos, entity=res.entity, salient=True, paragraph=para),
                          key=lambda m: m.pos)

    def last_speaker(self, before: int, max_back: int = 1, quoted: bool = False) -> Resolution | None:
        """The speaker of the last claim (of the last quotation, if `quoted`) before `before`,
        at most `max_back` paragraphs back."""
        para = self.paragraph(before)
        for pos, p, res in reversed(self.quoted if quoted else self.history):
            if pos >= before:
                continue
            if para - p > max_back:
                return None
            if res.how != "unknown":
                return res
        return None

    def quote_paragraph_speaker(self, before: int) -> Resolution | None:
        """Whose words a quote paragraph with no cue of its own is.

        News continues the last speaker: after '"...," Ortiz told supporters.' and
        "Delaney conceded and congratulated his rival.", the next bare quote paragraphs
        are still Ortiz's. A person named in between without being attributed anything
        does not take the quote over. The speaker of any claim in the paragraph just
        before continues ("Ortiz said she would ..." then her quote); further back, up to
        `QUOTE_REACH` paragraphs, only someone quoted does (a report's "video shows ..."
        does not go on speaking). Only when nobody spoke is it the person named just before.
        """
        return self.last_speaker(before, max_back=1) or self.last_speaker(before, QUOTE_REACH, quoted=True) \
            or self.last_named_person(before, max_back=1)

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
        if head.tag_ == "PRP" or low in PRONOUN_GENDER or low in PLURAL_PRONOUNS:
            return self._pronoun(head, exclude)
        found = _entity_in_phrase(head, reg)
        mention = mention_text(head)
        if found is not None:
            idx, name_tok = found
            e = reg.entities[idx]
            title = None
            if e.kind == "person":
                title = title_of(name_tok, _name_start(name_tok, reg)) or (e.titles[0] if e.titles else None)
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
        if det is not None and det.lower_ in DEFINITE:
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
        words = [w for w in label.split() if not is_title_word(w.lower())]
        words = words or label.split()
        known = self._by_key(name_key(words), label)
        if known is not None:
            return known
        reg = self.registry
        reg.entities.append(Entity(name=person_name(words), kind="person"))
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

    def _by_key(self, key: str, mention: str, person_only: bool = True, before: int | None = None) -> Resolution | None:
        """The entity whose name's key (its folded surname) is `key`; a person only, unless
        `person_only` is False.

        With `before`, the one mentioned last before that position: after "Sara Lind ...
        Lind said" the article may go on to a different Lind, who must not take her quote.
        Otherwise, or when none was mentioned yet, the newest such entity.
        """
        reg = self.registry
        earlier = (m.entity for m in reversed(reg.mentions) if m.pos < before) if before is not None else ()
        for idx in itertools.chain(earlier, range(len(reg.entities) - 1, -1, -1)):
            e = reg.entities[idx]
            if (not person_only or e.kind == "person") and name_key(e.name.split()) == key:
                return Resolution(_speaker_for(e, mention, e.titles[0] if e.titles else None), idx, "named")
        return None

    def _org_by_head(self, words: list[str], mention: str) -> Resolution | None:
        """The organisation whose name a short form opens ("Halvorsen" for "Halvorsen Pharma")."""
        reg = self.registry
        short = [fold(w) for w in words]
        for idx in range(len(reg.entities) - 1, -1, -1):
            e = reg.entities[idx]
            full = [fold(w) for w in e.name.split()]
            if e.kind == "organization" and len(full) > len(short) and full[:len(short)] == short:
                return Resolution(_speaker_for(e, mention, None), idx, "named")
        return None

    def _known_surname(self, head: Token, mention: str) -> Resolution | None:
        """A capitalised word the tagger took for a common noun ("Anders said" as a plural)
        that is the surname of someone the article names."""
        if not head.text[:1].isupper() or head.tag_ not in ("NN", "NNS") or any(c.dep_ == "det" for c in head.children):
            return None
        return self._by_key(fold(head.text), mention, before=head.idx)

    def _unlisted_name(self, head: Token, mention: str) -> Resolution:
        toks = [c for c in head.lefts if c.dep_ == "compound" and c.tag_ in ("NNP", "NNPS")] + [head]
        titles = [k for k, t in enumerate(toks) if is_title_word(t.lower_)]
        # "Fire Chief Ana Lind": what precedes the last title word belongs to the title.
        toks = toks[titles[-1] + 1:] if titles else toks
        toks = toks or [head]
        words = name_words(toks)
        reg = self.registry
        known = self._by_key(name_key(words), mention, person_only=False, before=head.idx)
        if known is not None and len(words) > 1 and reg.entities[known.entity].kind == "person":
            known = self._fuller_name(known, words, head, toks[0].i)
        known = known or self._org_by_head(words, mention)
        if known is not None:
            for t in toks:
                reg.ent_of_token.setdefault(t.i, known.entity)
            return known
        kind = "organization" if head.lower_ in ORG_NOUNS else "person"
        reg.entities.append(Entity(name=" ".join(words), kind=kind))
        idx = len(reg.entities) - 1
        for t in toks:
            reg.ent_of_token[t.i] = idx
        title = title_of(head, toks[0].i) if kind == "person" else None
        if title:
            reg.entities[idx].titles.append(title)
        return Resolution(_speaker_for(reg.entities[idx], mention, title), idx, "named")

    def _fuller_name(self, known: Resolution, words: list[str], head: Token, start: int) -> Resolution | None:
        """A full name the recogniser missed ("Ines Sato, a campaigner, said") for a person
        the registry knows by surname: the same person, whose name it completes, when the
        registry has the surname alone or the same first name; None for a namesake ("Erik
        Lind" is not "Sara Lind")."""
        e = self.registry.entities[known.entity]
        existing = e.name.split()
        if len(existing) > 1 and fold(existing[0]) != fold(words[0]):
            return None
        if len(words) > len(existing):
            e.name = person_name(words)
        title = title_of(head, start)
        if title and title not in e.titles:
            e.titles.append(title)
        return Resolution(_speaker_for(e, known.speaker.mention, title or (e.titles[0] if e.titles else None)),
                          known.entity, "named")

    def _role(self, head: Token, mention: str, exclude: tuple[int, int]) -> Resolution | None:
        """"The minister", "the company": the entity the article introduced in that role."""
        reg = self.registry
        word = head.lower_
        pos = head.idx
        candidates = [m for m in reg.mentions if m.pos < pos and not exclude[0] <= m.pos < exclude[1]]
        if word in INSTITUTION_GLOSSES:
            # "The drug maker said": the organisation introduced as one, modifiers allowed.
            modifiers = [c for c in head.children if c.dep_ in ("compound", "amod")]
            extra = [c for c in head.children if c.dep_ not in ("det", "punct", "relcl", "acl", "appos")
                     and c not in modifiers]
            org = self._org_in_focus(head, modifiers, candidates, exclude) if not extra else None
            if org is not None or word in ORG_NOUNS:
                return org or (None if extra else self._earlier_unnamed(word, mention, pos))
        if any(c.dep_ not in ("det", "punct", "relcl", "acl", "appos") for c in head.children):
            return None
        for m in reversed(candidates):
            e = reg.entities[m.entity]
            if e.kind == "person" and any(word in t.lower().replace("-", " ").split() for t in e.titles):
                return Resolution(_speaker_for(e, mention, next(t for t in e.titles if word in t.lower())),
                                  m.entity, "role")
        return self._earlier_unnamed(word, mention, pos)

    def _org_in_focus(self, head: Token, modifiers: list[Token], candidates: list[Mention],
                      exclude: tuple[int, int]) -> Resolution | None:
        """"The company / the agency / the ministry said": the organisation in focus.

        That is the nearest organisation before the phrase whose name or description has
        the noun and its modifiers ("Norda Energy Agency" for "the agency", "Halvorsen Pharma,
        a drug maker" for "the drug maker"); failing that, for a generic noun ("the company",
        "the pharmaceutical firm"), the nearest single organisation that is neither a place
        nor a body named for another kind ("Oslo" or "the Medicines Agency" is never "the
        company"). A person
        quoted in between never is. An organisation that is a subject inside the claim
        itself is the fallback: "Lumen will close its plant in Dover, the company said"
        names its speaker only there (nearest first outside the claim; first inside it).
        """
        reg = self.registry
        word = head.lower_
        mods = {m.lower_ for m in modifiers}
        mention = mention_text(head)
        inside = [m for m in reversed(reg.mentions) if m.pos < head.idx and exclude[0] <= m.pos < exclude[1]
                  and m.salient]

        def described(e: Entity) -> bool:
            # "The drug maker" is "a drug maker based in Oslo"; "the health agency" is not
            # the "Food Safety Agency".
            return any(word in words and mods <= words
                       for words in (set(d.lower().split()) for d in [e.name, *e.glosses]))

        for pool in (candidates, inside):
            for m in reversed(pool):
                e = reg.entities[m.entity]
                if e.kind == "organization" and described(e):
                    return Resolution(_speaker_for(e, mention, None), m.entity, "role")
            if word in GENERIC_ORG_NOUNS and not any(m.tag_ in ("NNP", "NNPS") for m in modifiers):
                for m in reversed(pool):
                    e = reg.entities[m.entity]
                    if e.kind == "organization" and not e.plural and not e.place and not _public_body(e, word):
                        return Resolution(_speaker_for(e, mention, None), m.entity, "role")
        return None

    def _earlier_unnamed(self, word: str, mention: str, pos: int) -> Resolution | None:
        """"A senior ministry official said ... The official added ...": the same unnamed source.

        A role noun with no named entity behind it refers back to the last unnamed speaker
        described by that noun within a few paragraphs.
        """
        para = self.paragraph(pos)
        for spoke_at, p, res in reversed(self.history):
            if spoke_at >= pos:
                continue
            if para - p > (ORG_ROLE_REACH if word in ORG_NOUNS else ROLE_REACH):
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
        elif low in PLURAL_PRONOUNS:
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


def _public_body(e: Entity, word: str) -> bool:
    """An organisation whose name says it is another kind of body than `word` ("Medicines
    Agency", "Ministry of Health" for "the company"); a bank or a group may be a company."""
    return any(w in ORG_NOUNS and w not in GENERIC_ORG_NOUNS and w != word for w in e.name.lower().split())


def _name_start(tok: Token, registry: Registry) -> int:
    idx = registry.ent_of_token.get(tok.i)
    i = tok.i
    while i - 1 >= 0 and registry.ent_of_token.get(i - 1) == idx and idx is not None:
        i -= 1
    doc = tok.doc
    while i < tok.i and (doc[i].lower_ in DETERMINERS or is_title_word(doc[i].lower_)):
        i += 1
    return i
