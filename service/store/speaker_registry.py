"""The speaker registry as people use it: reading, prefix search, a speaker's claims,
renames and merges.

`SpeakerRepository` holds it. Which registry speaker an extracted name is (linking) is `speakers.py`;
this is what happens to the registry afterwards. A merged speaker's id keeps answering with
the speaker it was merged into, so that ids handed out before the merge go on working; every
lookup here follows merges. A rename or merge rewrites the speaker's claims in the same
transaction, after WATCHing them, so that a verdict set meanwhile is never overwritten.
"""
from __future__ import annotations

from typing import Any

from redis.client import Pipeline

from . import reads, records, sharded, speakers
from .base import Conflict, NotFound, Page
from .connection import Connection
from .events import Feed
from .layout import SHARDS, Keys, shard_keys
from .values import decode_cursor, encode_cursor, normalize_name, seq_of_claim
from .text import claim_signature, normalize_claim


class SpeakerRepository:
    """Registry speakers: read, searched, renamed and merged."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    def get(self, sid: str) -> dict[str, Any] | None:
        """A speaker; asking for a merged one answers with the speaker it was merged into."""
        current = reads.current_speaker(self.redis, sid)
        if current is None:
            return None
        found = self._speakers([current])
        return found[0] if found else None

    def _speakers(self, ids: list[str]) -> list[dict[str, Any]]:
        """Speakers by id, in two round trips whatever their number; unknown ids are left
        out, and a merged speaker (rare here: a merge moves its search entries) is followed.

        A speaker's claim count is its claims not superseded (the size of its claim index less
        those also in the superseded index), and its last sighting its newest claim's creation:
        derived here, so that saving claims writes nothing to a speaker already known."""
        with self.redis.pipeline(transaction=False) as pipe:
            for sid in ids:
                pipe.hgetall(Keys.speaker(sid))
                pipe.smembers(Keys.speaker_aliases(sid))
                pipe.smembers(Keys.speaker_titles(sid))
                pipe.zcard(Keys.by_speaker(sid))
                if self.conn.cluster:  # several slots: no ZINTERCARD; the claims, counted below
                    pipe.zrange(Keys.by_speaker(sid), 0, -1)
                else:  # one ZINTERCARD a shard of the superseded claims: summed below
                    for shard in shard_keys(Keys.superseded):
                        pipe.zintercard(2, [Keys.by_speaker(sid), shard])
                pipe.zrange(Keys.by_speaker(sid), -1, -1)
            replies = pipe.execute()
        width = 6 if self.conn.cluster else 5 + SHARDS
        rows = [replies[width * k:width * k + width] for k in range(len(ids))]
        rows = [[*row[:4], row[4] if self.conn.cluster else sum(row[4:-1]), row[-1]] for row in rows]
        if self.conn.cluster:
            for row, count in zip(rows, self._superseded([row[4] for row in rows])):
                row[4] = count
        newest = [row[5][0] if row[5] else None for row in rows]
        present = [c for c in newest if c]
        records_ = dict(zip(present, self.redis.mget([Keys.claim(c) for c in present]))) if present else {}
        found = []
        for sid, (raw, aliases, titles, total, superseded, _), last in zip(ids, rows, newest):
            if raw.get("merged_into"):
                speaker = self.get(sid)
            elif raw.get("id"):
                record = records_.get(last)
                last_seen = records.unpack_claim(last, record)["created_at"] if record else None
                speaker = records.speaker(raw, aliases, titles, total - superseded, last_seen)
            else:
                speaker = None
            if speaker is not None:
                found.append(speaker)
        return found

    def _superseded(self, claim_lists: list[list[str]]) -> list[int]:
        """How many claims of each list are superseded: one ZMSCORE a list and shard of the
        superseded index, all in one round trip (a pipeline split by node)."""
        plan: list[int] = []
        with self.redis.pipeline(transaction=False) as pipe:
            for k, ids in enumerate(claim_lists):
                entries = {cid: seq_of_claim(cid) for cid in ids}
                for key, part in sharded.by_shard(Keys.superseded, entries).items():
                    pipe.zmscore(key, list(part))
                    plan.append(k)
            replies = pipe.execute() if plan else []
        counts = [0] * len(claim_lists)
        for k, reply in zip(plan, replies):
            counts[k] += sum(1 for score in reply if score is not None)
        return counts

    def search(self, prefix: str, cursor: str | None = None, limit: int = 50) -> Page:
        """Named speakers whose name or alias (or a later word of one) starts with `prefix`,
        case- and accent-insensitively, in alphabetical order."""
        term = normalize_name(prefix) if prefix.strip() else ""
        start = "[" + term
        if cursor is not None:
            start = "(" + decode_cursor(cursor, pattern=r"[^\x00]*\x00spk_[0-9a-f]{16}")
        # Byte 0xFF never occurs in UTF-8, so it bounds every extension of the term; a str
        # "\xff" would be sent as C3 BF and stop at the first letter above U+00FF.
        end: str | bytes = b"[" + term.encode("utf-8") + b"\xff" if term else "+"
        found: dict[str, None] = {}
        last = None
        batch = max(limit * 3, 50)
        while len(found) < limit:
            entries = self.redis.zrangebylex(Keys.speaker_search, start, end, start=0, num=batch)
            for entry in entries:
                last = entry
                found.setdefault(entry.rpartition("\0")[2], None)
                if len(found) >= limit:
                    break
            if len(entries) < batch or len(found) >= limit:
                break
            start = "(" + entries[-1]
        more = last is not None and bool(self.redis.zrangebylex(Keys.speaker_search, "(" + last, end, start=0, num=1))
        unique = list({s["id"]: s for s in self._speakers(list(found))}.values())
        return Page(unique, encode_cursor(last) if more and last else None)

    def claims(self, sid: str, cursor: str | None = None, limit: int = 50) -> Page | None:
        current = reads.current_speaker(self.redis, sid)
        if current is None:
            return None
        return reads.walk(self.conn, [Keys.by_speaker(current)], "desc", cursor, limit, excluded=[Keys.superseded])

    def rename(self, sid: str, name: str) -> dict[str, Any]:
        """Give a speaker a new name; its claims take it, the old name stays an alias."""
        current = reads.current_speaker(self.redis, sid)
        if current is None:
            raise NotFound(sid)
        key = Keys.speaker(current)

        def body(pipe: Pipeline) -> None:
            pipe.watch(key, Keys.by_speaker(current))
            old, kind = pipe.hmget(key, "name", "kind")
            taken = pipe.get(speakers.name_key(kind, name)) if kind in speakers.NAMED else None
            if taken and reads.current_speaker(self.redis, taken) != current:
                pipe.unwatch()
                raise Conflict(f"another speaker ({taken}) is already called {name!r}; merge them instead")
            claims = reads.watch_claims(pipe, pipe.zrange(Keys.by_speaker(current), 0, -1))
            pipe.multi()
            pipe.hset(key, "name", name)
            if old and normalize_name(old) != normalize_name(name):
                pipe.sadd(Keys.speaker_aliases(current), old)
            if kind in speakers.NAMED:
                speakers.index_name(pipe, kind, current, name)
            if kind == "person":
                old_words, new_words = normalize_name(old or "").split(), normalize_name(name).split()
                if old_words and old_words[-1:] != new_words[-1:]:
                    pipe.hdel(Keys.surname(old_words[-1]), current)
                if new_words:
                    pipe.hset(Keys.surname(new_words[-1]), current, name)
            self._move_claims(pipe, claims, current, name, kind)
            pipe.execute()

        self.conn.transaction(body)
        renamed = self.get(current)
        assert renamed is not None
        return renamed

    def merge(self, sid: str, into: str) -> dict[str, Any]:
        """Fold speaker `sid` into `into`: its claims, names and titles move; histories stay.

        The merged speaker's id keeps answering, with the speaker it was merged into.
        """
        source, target = reads.current_speaker(self.redis, sid), reads.current_speaker(self.redis, into)
        if source is None:
            raise NotFound(sid)
        if target is None:
            raise NotFound(into)
        if source == target:
            raise Conflict("a speaker cannot be merged into itself")
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> None:
            pipe.watch(Keys.speaker(source), Keys.speaker(target), Keys.by_speaker(source),
                       Keys.speaker_aliases(source), Keys.speaker_titles(source))
            src = pipe.hgetall(Keys.speaker(source))
            dst = pipe.hgetall(Keys.speaker(target))
            aliases = pipe.smembers(Keys.speaker_aliases(source)) | {src["name"]}
            titles = pipe.smembers(Keys.speaker_titles(source))
            seqs = pipe.zrange(Keys.by_speaker(source), 0, -1, withscores=True)
            claims = reads.watch_claims(pipe, [cid for cid, _ in seqs])
            # The source's cluster entries, named by its claims' signatures, and the target's.
            signatures = sorted({claim_signature(c.get("stance") or "asserts", normalize_claim(c["text"]))
                                 for c in claims.values()})
            mine_keys = [Keys.signature(source, s) for s in signatures]
            their_keys = [Keys.signature(target, s) for s in signatures]
            if signatures:
                pipe.watch(*mine_keys, *their_keys)
            found = pipe.mget(mine_keys + their_keys) if signatures else []
            tables = {s: ids for s, ids in zip(signatures, found[:len(signatures)]) if ids}
            theirs = dict(zip(signatures, found[len(signatures):]))
            cluster_ids = [c for ids in tables.values() for c in ids.split()]
            shared_clusters = [c for c in cluster_ids if pipe.exists(Keys.cluster(c))]
            new_aliases = [a for a in aliases if normalize_name(a) != normalize_name(dst["name"])]
            pipe.multi()
            if new_aliases:
                pipe.sadd(Keys.speaker_aliases(target), *new_aliases)
            if titles:
                pipe.sadd(Keys.speaker_titles(target), *titles)
            if tables:
                pipe.mset({Keys.signature(target, s): f"{theirs.get(s) or ''} {ids}".strip()
                           for s, ids in tables.items()})
                pipe.delete(*(Keys.signature(source, s) for s in tables))
            pipe.hset(Keys.speaker(target), "first_seen",
                      min(filter(None, (src.get("first_seen"), dst.get("first_seen")))))
            pipe.hset(Keys.speaker(source), "merged_into", target)
            if src.get("kind") in speakers.NAMED:
                for alias in aliases:
                    speakers.index_name(pipe, src["kind"], target, alias)
                stale = [f"{term}\0{source}" for alias in aliases for term in speakers.search_terms(alias)]
                if stale:
                    pipe.zrem(Keys.speaker_search, *stale)
                last_words = normalize_name(src["name"]).split()
                if last_words:
                    pipe.hdel(Keys.surname(last_words[-1]), source)
            if seqs:
                pipe.zadd(Keys.by_speaker(target), dict(seqs))
                pipe.delete(Keys.by_speaker(source))
            self._move_claims(pipe, claims, target, dst["name"], dst.get("kind") or "person")
            for clsid in shared_clusters:
                pipe.hset(Keys.cluster(clsid), "speaker_id", target)
            emitter.emit(pipe, "speaker.merged", {"speaker_id": source, "merged_into": target,
                                                   "claims_moved": len(claims)})
            pipe.execute()

        self.conn.transaction(body)
        merged = self.get(target)
        assert merged is not None
        return merged

    @staticmethod
    def _move_claims(pipe: Pipeline, claims: dict[str, dict[str, Any]], sid: str, name: str, kind: str) -> None:
        """Point claims at speaker `sid`, of `kind`, called `name`. Only unnamed sources are in
        the name index (named speakers are found through the registry), so entries move there."""
        for cid, fields in claims.items():
            old_name, old_kind = fields["speaker_name"], fields["speaker_kind"]
            fields.update(speaker_id=sid, speaker_name=name, speaker_kind=kind)
            pipe.set(Keys.claim(cid), records.pack_claim(cid, fields))
            if old_kind not in speakers.NAMED:
                pipe.zrem(Keys.by_name(old_name), cid)
            if kind not in speakers.NAMED:
                pipe.zadd(Keys.by_name(name), {cid: fields["seq"]})
