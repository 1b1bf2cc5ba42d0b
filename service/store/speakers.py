"""Which registry speaker a claim's speaker is: the cross-article half of attribution.

The extractor names each speaker as fully as its article does; the registry links those
names across articles. A name links to the speaker that already has it (as name or alias).
For people, a surname alone links to the one known person with that surname, and a full
name whose first and last names match one known person (middle names aside) is that person;
a speaker known only by a surname is upgraded to the full name when one arrives and no other
known person shares the surname. Organisations link by exact name only. Unnamed sources ("a
senior ministry official") are never linked across articles: each article gets its own.

`plan` only reads (WATCHing what it read, so that a concurrent change makes the caller
retry), in a few batched round trips whatever the number of names; `apply` queues the writes
inside the caller's MULTI.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from redis import Redis
from redis.client import Pipeline

from .layout import SPEAKER_KINDS, Keys
from .values import new_id, normalize_name

NAMED = SPEAKER_KINDS[:2]


@dataclass
class SpeakerPlan:
    """What one save does to one registry speaker."""

    sid: str
    name: str
    kind: str
    new: bool = False
    rename_to: str | None = None
    names: set[str] = field(default_factory=set)  # names this save saw for the speaker
    #: Names whose name key already names this speaker (nothing to index again).
    known_names: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    claims: int = 0


def name_key(kind: str, name: str) -> str:
    return Keys.speaker_name(f"{kind}:{normalize_name(name)}")


def search_terms(name: str) -> set[str]:
    """Prefix-search entries of a name: the whole name and each later word onwards, so that
    "put" finds "Vladimir Putin" and "health" finds "World Health Organization"."""
    words = normalize_name(name).split()
    return {" ".join(words[i:]) for i in range(len(words))}


@dataclass
class Known:
    """What the registry already knows about an article's names, read in a few round trips:
    the speaker each name belongs to, the registry names of the people who share each surname
    that no name matched, and those people."""

    by_name: dict[str, str]
    names: dict[str, str]
    people: dict[str, dict[str, list[str]]]
    #: The name keys' own values (before following merges).
    stored: dict[str, str] = field(default_factory=dict)


def prefetch(pipe: Pipeline, redis: Redis, named: list[tuple[str, str]]) -> Known:
    """Read (after WATCHing, on `pipe`) what `plan` decides from, batched through `redis`."""
    keys = [name_key(kind, name) for name, kind in named]
    found: dict[str, str] = {}
    if keys:
        pipe.watch(*keys)
        found = {key: sid for key, sid in zip(keys, redis.mget(keys)) if sid}
    # A name key always names a live speaker: a merge points every name and alias of the
    # merged speaker at the one it was merged into (`SpeakerRepository.merge`), a rename keys the
    # new name; so nothing is read per speaker here. Registry names are read only for the
    # people a surname may link to (below).
    stored = dict(found)
    names: dict[str, str] = {}
    surnames = sorted({normalize_name(name).split()[-1] for name, kind in named
                       if kind == "person" and name_key(kind, name) not in found and normalize_name(name)})
    people: dict[str, dict[str, list[str]]] = {}
    if surnames:
        pipe.watch(*(Keys.surname(s) for s in surnames))
        with redis.pipeline(transaction=False) as reads:
            for surname in surnames:
                reads.hgetall(Keys.surname(surname))
            tables = dict(zip(surnames, reads.execute()))
        for surname, table in tables.items():
            people[surname] = {sid: normalize_name(name).split() for sid, name in table.items()}
            names.update({sid: name for sid, name in table.items() if sid not in names})
    return Known(found, names, people, stored)


def plan(pipe: Pipeline, redis: Redis,
         speakers: Iterable[tuple[str, str, str | None]]) -> dict[tuple[str, str], SpeakerPlan]:
    """Registry speakers for an article's (name, kind, title) speakers, keyed by (kind,
    normalised name). Full names are settled before bare surnames, so that "Putin" can link
    to a "Vladimir Putin" first seen in the same article. Reads happen under WATCH on `pipe`
    (batched through `redis`); nothing is written here."""
    pending = sorted(set(speakers), key=lambda s: -len(normalize_name(s[0]).split()))
    known = prefetch(pipe, redis, sorted({(name, kind) for name, kind, _ in pending if kind in NAMED}))
    plans: dict[tuple[str, str], SpeakerPlan] = {}
    by_sid: dict[str, SpeakerPlan] = {}
    for name, kind, title in pending:
        key = (kind, normalize_name(name))
        if key in plans:
            if title:
                plans[key].titles.add(title)
            continue
        if kind not in NAMED:
            chosen = SpeakerPlan(new_id("spk"), name, kind, new=True)
        else:
            chosen = _link(name, kind, by_sid, known)
        chosen.names.add(name)
        if known.stored.get(name_key(kind, name)) == chosen.sid:
            chosen.known_names.add(name)
        if title:
            chosen.titles.add(title)
        plans[key] = by_sid.setdefault(chosen.sid, chosen)
    return plans


def _link(name: str, kind: str, planned: dict[str, SpeakerPlan], known: Known) -> SpeakerPlan:
    def existing(sid: str) -> SpeakerPlan:
        return planned.get(sid) or SpeakerPlan(sid, known.names.get(sid) or name, kind)

    sid = known.by_name.get(name_key(kind, name))
    if sid is not None:
        return existing(sid)
    for p in planned.values():
        if p.kind == kind and normalize_name(name) in {normalize_name(n) for n in p.names}:
            return p
    words = normalize_name(name).split()
    if kind != "person" or not words:
        return SpeakerPlan(new_id("spk"), name, kind, new=True)
    people = dict(known.people.get(words[-1], {}))
    for p in planned.values():
        if p.kind == "person" and normalize_name(p.rename_to or p.name).split()[-1:] == words[-1:]:
            people[p.sid] = normalize_name(p.rename_to or p.name).split()
    full = {s: w for s, w in people.items() if len(w) > 1}
    bare = [s for s, w in people.items() if len(w) == 1]
    if len(words) == 1:
        if len(full) == 1 and not bare:
            return existing(next(iter(full)))
        if bare:
            return existing(bare[0])
        return SpeakerPlan(new_id("spk"), name, kind, new=True)
    same_person = [s for s, w in full.items() if w[0] == words[0]]
    if len(same_person) == 1:
        return existing(same_person[0])
    if len(bare) == 1 and not full:
        upgraded = existing(bare[0])
        upgraded.rename_to = name
        return upgraded
    return SpeakerPlan(new_id("spk"), name, kind, new=True)


def index_name(pipe: Pipeline, kind: str, sid: str, name: str) -> None:
    """Queue what finds named speaker `sid` by `name`: the name's key (linking) and its
    prefix-search entries."""
    pipe.set(name_key(kind, name), sid)
    pipe.zadd(Keys.speaker_search, {f"{term}\0{sid}": 0 for term in search_terms(name)})


def apply(pipe: Pipeline, plans: Iterable[SpeakerPlan], now: str) -> None:
    """Queue the registry writes of `plans` on a pipeline in MULTI mode."""
    for p in {id(p): p for p in plans}.values():
        key = Keys.speaker(p.sid)
        # A speaker's claim count and last sighting are read from its claim index
        # (`SpeakerRepository`), so a save writes nothing to a speaker it already knows.
        if p.new:
            pipe.hset(key, mapping={"id": p.sid, "name": p.name, "kind": p.kind, "first_seen": now})
        if p.rename_to:
            pipe.hset(key, "name", p.rename_to)
            pipe.sadd(Keys.speaker_aliases(p.sid), p.name)
        if p.titles:
            pipe.sadd(Keys.speaker_titles(p.sid), *p.titles)
        if p.kind not in NAMED:
            continue
        current = p.rename_to or p.name
        names = p.names | {current}
        aliases = {n for n in names if normalize_name(n) != normalize_name(current)}
        if aliases:
            pipe.sadd(Keys.speaker_aliases(p.sid), *aliases)
        for n in names - p.known_names:
            index_name(pipe, p.kind, p.sid, n)
        words = normalize_name(current).split()
        if p.kind == "person" and words and (p.new or p.rename_to):
            pipe.hset(Keys.surname(words[-1]), p.sid, current)


def forget(pipe: Pipeline, sid: str, kind: str, names: Iterable[str], owned_name_keys: Iterable[str]) -> None:
    """Queue the removal of every trace of speaker `sid` (whose claims are all gone): its
    record, names, titles, search entries and surname entry (its cluster entries are the
    caller's: they are named by its claims' signatures). `owned_name_keys`
    are the name keys that still point to it (read under WATCH by the caller)."""
    names = list(names)
    pipe.delete(Keys.speaker(sid), Keys.speaker_aliases(sid), Keys.speaker_titles(sid), Keys.by_speaker(sid))
    owned = list(owned_name_keys)
    if owned:
        pipe.delete(*owned)
    entries = [f"{term}\0{sid}" for name in names for term in search_terms(name)]
    if entries:
        pipe.zrem(Keys.speaker_search, *entries)
    if kind == "person":
        for name in names:
            words = normalize_name(name).split()
            if words:
                pipe.hdel(Keys.surname(words[-1]), sid)
