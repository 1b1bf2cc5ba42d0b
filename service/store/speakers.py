"""Which registry speaker a claim's speaker is: the cross-article half of attribution.

The extractor names each speaker as fully as its article does; the registry links those
names across articles. A name links to the speaker that already has it (as name or alias).
For people, a surname alone links to the one known person with that surname, and a full
name whose first and last names match one known person (middle names aside) is that person;
a speaker known only by a surname is upgraded to the full name when one arrives and no other
known person shares the surname. Organisations link by exact name only. Unnamed sources ("a
senior ministry official") are never linked across articles: each article gets its own.

`plan` only reads (on a pipeline that WATCHes what it read, so a concurrent change makes the
caller retry); `apply` queues the writes inside the caller's MULTI.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from redis.client import Pipeline

from .layout import Keys, new_id, normalize_name

NAMED = ("person", "organization")


@dataclass
class SpeakerPlan:
    """What one save does to one registry speaker."""

    sid: str
    name: str
    kind: str
    new: bool = False
    rename_to: str | None = None
    names: set[str] = field(default_factory=set)  # names this save saw for the speaker
    titles: set[str] = field(default_factory=set)
    claims: int = 0


def name_key(kind: str, name: str) -> str:
    return Keys.speaker_name(f"{kind}:{normalize_name(name)}")


def search_terms(name: str) -> set[str]:
    """Prefix-search entries of a name: the whole name and each later word onwards, so that
    "put" finds "Vladimir Putin" and "health" finds "World Health Organization"."""
    words = normalize_name(name).split()
    return {" ".join(words[i:]) for i in range(len(words))}


def _follow(pipe: Pipeline, sid: str | None) -> str | None:
    """The speaker a merged speaker now lives in."""
    for _ in range(16):
        if sid is None:
            return None
        merged = pipe.hget(Keys.speaker(sid), "merged_into")
        if not merged:
            return sid
        sid = merged
    return sid


def _people_with_surname(pipe: Pipeline, surname: str) -> dict[str, list[str]]:
    """Known people with this surname: id -> the words of their name (one round trip)."""
    key = Keys.surname(surname)
    pipe.watch(key)
    return {sid: normalize_name(name).split() for sid, name in pipe.hgetall(key).items()}


def plan(pipe: Pipeline, speakers: Iterable[tuple[str, str, str | None]]) -> dict[tuple[str, str], SpeakerPlan]:
    """Registry speakers for an article's (name, kind, title) speakers, keyed by (kind,
    normalised name). Full names are settled before bare surnames, so that "Putin" can link
    to a "Vladimir Putin" first seen in the same article."""
    plans: dict[tuple[str, str], SpeakerPlan] = {}
    by_sid: dict[str, SpeakerPlan] = {}
    pending = sorted(set(speakers), key=lambda s: -len(normalize_name(s[0]).split()))
    for name, kind, title in pending:
        key = (kind, normalize_name(name))
        if key in plans:
            if title:
                plans[key].titles.add(title)
            continue
        if kind not in NAMED:
            chosen = SpeakerPlan(new_id("spk"), name, kind, new=True)
        else:
            chosen = _link(pipe, name, kind, by_sid)
        chosen.names.add(name)
        if title:
            chosen.titles.add(title)
        plans[key] = by_sid.setdefault(chosen.sid, chosen)
    return plans


def _link(pipe: Pipeline, name: str, kind: str, planned: dict[str, SpeakerPlan]) -> SpeakerPlan:
    exact_key = name_key(kind, name)
    pipe.watch(exact_key)
    sid = _follow(pipe, pipe.get(exact_key))
    if sid is None:
        for p in planned.values():
            if p.kind == kind and normalize_name(name) in {normalize_name(n) for n in p.names}:
                return p
    if sid is not None:
        return planned.get(sid) or SpeakerPlan(sid, pipe.hget(Keys.speaker(sid), "name") or name, kind)
    words = normalize_name(name).split()
    if kind != "person" or not words:
        return SpeakerPlan(new_id("spk"), name, kind, new=True)
    known = _people_with_surname(pipe, words[-1])
    for p in planned.values():
        if p.kind == "person" and normalize_name(p.rename_to or p.name).split()[-1:] == words[-1:]:
            known[p.sid] = normalize_name(p.rename_to or p.name).split()
    full = {s: w for s, w in known.items() if len(w) > 1}
    bare = [s for s, w in known.items() if len(w) == 1]
    if len(words) == 1:
        if len(full) == 1 and not bare:
            sid = next(iter(full))
        elif bare:
            sid = bare[0]
        else:
            return SpeakerPlan(new_id("spk"), name, kind, new=True)
        return planned.get(sid) or SpeakerPlan(sid, pipe.hget(Keys.speaker(sid), "name") or name, kind)
    same_person = [s for s, w in full.items() if w[0] == words[0]]
    if len(same_person) == 1:
        sid = same_person[0]
        return planned.get(sid) or SpeakerPlan(sid, pipe.hget(Keys.speaker(sid), "name") or name, kind)
    if len(bare) == 1 and not full:
        sid = bare[0]
        upgraded = planned.get(sid) or SpeakerPlan(sid, pipe.hget(Keys.speaker(sid), "name") or name, kind)
        upgraded.rename_to = name
        return upgraded
    return SpeakerPlan(new_id("spk"), name, kind, new=True)


def apply(pipe: Pipeline, plans: Iterable[SpeakerPlan], now: str) -> None:
    """Queue the registry writes of `plans` on a pipeline in MULTI mode."""
    for p in {id(p): p for p in plans}.values():
        key = Keys.speaker(p.sid)
        if p.new:
            pipe.hset(key, mapping={"id": p.sid, "name": p.name, "kind": p.kind, "first_seen": now})
        if p.rename_to:
            pipe.hset(key, "name", p.rename_to)
            pipe.sadd(Keys.speaker_aliases(p.sid), p.name)
        pipe.hset(key, "last_seen", now)
        pipe.hincrby(key, "claim_count", p.claims)
        if p.titles:
            pipe.sadd(Keys.speaker_titles(p.sid), *p.titles)
        if p.kind not in NAMED:
            continue
        current = p.rename_to or p.name
        names = p.names | {current}
        aliases = {n for n in names if normalize_name(n) != normalize_name(current)}
        if aliases:
            pipe.sadd(Keys.speaker_aliases(p.sid), *aliases)
        for n in names:
            pipe.set(name_key(p.kind, n), p.sid)
            pipe.zadd(Keys.speaker_search, {f"{term}\0{p.sid}": 0 for term in search_terms(n)})
        words = normalize_name(current).split()
        if p.kind == "person" and words:
            pipe.hset(Keys.surname(words[-1]), p.sid, current)
