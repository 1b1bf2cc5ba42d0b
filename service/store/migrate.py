"""Upgrading stored data to the current layout (`SCHEMA`), once, idempotently.

Version 2 (verdict safety): clusters formed under the old, fuzzy rule (same content words, 90%
similar) are split wherever their claims are not the same claim under `rules.same_claim`;
every claim keeps its verdict, and the split is written into its history and the cluster's
log. The speakers' cluster tables are rebuilt under the new signature (stance + normalised
text). Claims stored before stance existed assert (the records' default), which is what the
old extractor meant by them.

Version 3 (article lifecycle): every article gets its listing score (creation ms x 1000 plus
a tie-breaker), its place in the status, source and url listing indexes, revision 1 with its
revision entry, the list of its dedup keys (so that a takedown can remove them), and, when it is
still queued or processing, an entry in the pending index that reconciliation watches.

Version 4 (the store redesign): a speaker's signature table, one hash per speaker
(`ct:speaker:{sid}:clusters`), becomes one key per speaker and signature (`ct:signature:*`), so
that a save reads all of its claims' entries in one MGET and writes them in one MSET. Nothing
else changed shape but the speaker records, which no longer keep `claim_count` and `last_seen`
(they are read from the speaker's claim index, so a save writes nothing to a known speaker),
and the status indexes, which no longer hold `unverified` claims (most claims; a claim in no
status index is unverified):
ids, claim records and indexes are as schema 3 wrote them.

Version 5 (lean memory): the index of every claim (`ct:claims`), the type indexes
(`ct:claims:type:{type}`) and the search words' indexes (`ct:claims:word:{digest}`), sorted
sets of claim ids, become bucketed indexes of small integers (`...:{bucket}`, layout.py), about
2 bytes a claim instead of about 100: the first two are copied bucket by bucket, the words are
indexed again from every live article's claims (`search.index_article`, idempotent), then the
old sorted sets are dropped. Ids, claim records and every other key are unchanged.

Version 6 (a layout for a Redis Cluster): the keys that belong to one record (an article's
claims, revisions, earlier texts, corrections and marks; a claim's history; a speaker's aliases,
titles and claim index; a cluster's claims and log) are renamed to carry the record's key as
their hash tag (`layout.beside`), so that on a cluster they are in the record's slot. Records,
ids and every other key are unchanged. This step runs first, so that the older steps (which
name keys through `layout.Keys`) find what they read where `Keys` says. It is resumable: a key
already moved no longer matches what the step looks for.

Version 7 (sharded global indexes): the indexes every save or verdict writes, one sorted set
each (the claims by status, by stance and superseded; every article, and by status), become
sharded indexes of 16 sorted sets each (`layout.is_sharded`), so that on a cluster their writes
spread over every master. Each entry moves to the shard of its score, 1000 a round trip, and
the old sorted set is dropped once all are in: an interrupted run starts again from it (adding
an entry twice changes nothing). It runs right after version 6's step, so that the older steps
write the indexes where `Keys` says. Members, scores, ids and every other key are unchanged.

Version 8 (the claims with a status): a bucketed index of every claim whose status is not
`unverified` (`Keys.with_status`, the union of the status indexes), so that the default review
queue (`status=unverified`) leaves them out with one SISMEMBER a claim instead of a ZSCORE in
each of the nine status indexes. It is built from the status indexes' shards, `MOVE_BATCH`
entries a round trip, and nothing is dropped: adding an entry twice changes nothing, so a run
cut short (the data stays at schema 7 until the end) is run again from the start. It runs
last, once the status indexes are where `Keys` says (sharded, since schema 7). Every other key
is unchanged.

Run it before starting workers after an upgrade: `flask --app service.app migrate`
(`make run` does it at every start; on current data it only reads one key).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from redis.client import Pipeline

from . import records, search, sharded
from .article_index import index_article, listing_score, revision_entry
from .connection import Connection
from .reads import add_claims, watch_claims
from .layout import (ARTICLE_STATUSES, CLAIM_TYPES, PREFIX, STANCES, UNINDEXED_STATUS, VERIFICATION_STATUSES, Keys,
                     beside, shard_keys, unsharded)
from .values import claim_id, cluster_of_claim, digest, epoch_ms, utcnow
from .text import claim_signature, normalize_claim

SCHEMA = 8
MIGRATION_PRINCIPAL = "migration"
#: Entries a round trip when a migration moves a sorted set into an index of another shape.
MOVE_BATCH = 1000


def schema_version(conn: Connection) -> int:
    """The layout version of the data; an empty database is current."""
    stored = conn.redis.get(Keys.schema)
    if stored is not None:
        return int(stored)
    # Claims were saved (the claim counter exists in every layout) before versions were kept.
    return 1 if conn.redis.exists(Keys.claims_v4, Keys.claim_seq) else SCHEMA


def migrate(conn: Connection) -> dict[str, Any]:
    """Bring the data to `SCHEMA`; returns what was done (nothing when already current)."""
    version = schema_version(conn)
    report: dict[str, Any] = {"from": version, "to": SCHEMA, "clusters_split": 0, "claims_moved": 0,
                              "speaker_tables": 0}
    if version < 6:
        report["record_keys_tagged"] = _tag_record_keys(conn)
    if version < 7:
        report["index_entries_sharded"] = sum(_shard_index(conn, index) for index in sharded_indexes())
    if version < 2:
        for clsid in _cluster_ids(conn):
            moved = _split_cluster(conn, clsid)
            if moved:
                report["clusters_split"] += 1
                report["claims_moved"] += moved
        for sid in _speakers_with_claims(conn):
            _rebuild_table(conn, sid)
            report["speaker_tables"] += 1
    if version < 3:
        report["articles_indexed"] = sum(_index_article(conn, aid) for aid in _article_ids(conn))
    if version < 4:
        report["signature_tables_moved"] = sum(_move_signature_table(conn, key) for key in _signature_tables(conn))
        for key in conn.redis.scan_iter(match=f"{PREFIX}:speaker:spk_*", count=500):
            if key.count(":") == 2:
                # Derived from the speaker's claim index since schema 4 (SpeakerRepository).
                conn.redis.hdel(key, "claim_count", "last_seen")
        # An unverified claim is in no status index since schema 4.
        conn.redis.unlink(unsharded(Keys.by_status(UNINDEXED_STATUS)))
    if version < 5:
        report["indexes_bucketed"] = sum(_bucket_index(conn, old, new) for old, new in (
            (Keys.claims_v4, Keys.claims), *((Keys.by_type_v4(t), Keys.by_type(t)) for t in CLAIM_TYPES)))
        report["articles_reindexed_for_search"] = sum(
            1 for aid in sharded.members(conn.redis, Keys.articles) if search.index_article(conn, aid))
        report["word_indexes_dropped"] = _drop_old_word_indexes(conn)
    if version < 8:
        report["claims_with_status_indexed"] = _index_with_status(conn)
    conn.redis.set(Keys.schema, SCHEMA)
    return report


def sharded_indexes() -> list[str]:
    """Every sharded index (schema 7) that can hold entries."""
    return [Keys.articles, *(Keys.articles_by_status(s) for s in ARTICLE_STATUSES), Keys.superseded,
            *(Keys.by_status(s) for s in VERIFICATION_STATUSES if s != UNINDEXED_STATUS),
            *(Keys.by_stance(s) for s in STANCES if s != "asserts")]


def _shard_index(conn: Connection, index: str) -> int:
    """Schema 7: the sorted set schema 6 kept `index` in (`layout.unsharded`) moves into the
    index's shards. Returns how many entries moved."""
    old = unsharded(index)
    if conn.redis.type(old) != "zset":
        return 0
    return _move_entries(conn, old, lambda pipe, batch: sharded.add(pipe, index, batch), float)


def _index_with_status(conn: Connection) -> int:
    """Schema 8: every entry of every status index's shards into `Keys.with_status` (a claim is
    in one status index at most, so each is added once). Returns how many."""
    return sum(_copy_entries(conn, shard, lambda pipe, batch: add_claims(pipe, Keys.with_status, batch), int)
               for status in VERIFICATION_STATUSES if status != UNINDEXED_STATUS
               for shard in shard_keys(Keys.by_status(status)))


def _bucket_index(conn: Connection, old: str, new: str) -> int:
    """Schema 5: a sorted set of claim ids (score = seq) becomes bucketed index `new`.
    Returns 1 when there was one."""
    if not conn.redis.exists(old):
        return 0
    _move_entries(conn, old, lambda pipe, batch: add_claims(pipe, new, batch), int)
    return 1


def _move_entries(conn: Connection, old: str, add: Callable[[Pipeline, dict[str, Any]], None],
                  score: Callable[[float], Any]) -> int:
    """Every entry of sorted set `old` written by `add` (`_copy_entries`); `old` is dropped
    once all are in, so that a migration cut short starts again from it (adding an entry twice
    changes nothing). Returns how many."""
    moved = _copy_entries(conn, old, add, score)
    conn.redis.unlink(old)
    return moved


def _copy_entries(conn: Connection, source: str, add: Callable[[Pipeline, dict[str, Any]], None],
                  score: Callable[[float], Any]) -> int:
    """Every entry of sorted set `source` written by `add` (each score through `score`),
    `MOVE_BATCH` entries a round trip; `source` is left as it is. Returns how many."""
    copied = 0
    batch: dict[str, Any] = {}
    for member, at in conn.redis.zscan_iter(source, count=MOVE_BATCH):
        batch[member] = score(at)
        if len(batch) >= MOVE_BATCH:
            copied += _write_batch(conn, add, batch)
            batch = {}
    return copied + (_write_batch(conn, add, batch) if batch else 0)


def _write_batch(conn: Connection, add: Callable[[Pipeline, dict[str, Any]], None], batch: dict[str, Any]) -> int:
    with conn.redis.pipeline(transaction=False) as pipe:
        add(pipe, batch)
        pipe.execute()
    return len(batch)


def _drop_old_word_indexes(conn: Connection) -> int:
    """Schema 5: drop the sorted sets of the search-word index (`Keys.word_index_v4`); the
    bucketed index's keys have one more part (the bucket)."""
    old = [key for key in conn.redis.scan_iter(match=f"{PREFIX}:claims:word:*", count=1000)
           if key.count(":") == 3]
    for start in range(0, len(old), 500):
        conn.redis.unlink(*old[start:start + 500])
    return len(old)


def _cluster_ids(conn: Connection) -> Iterator[str]:
    for key in conn.redis.scan_iter(match=f"{PREFIX}:cluster:cls_*", count=500):
        if key.count(":") == 2:
            yield key.rsplit(":", 1)[1]


def _article_ids(conn: Connection) -> Iterator[str]:
    for key in conn.redis.scan_iter(match=f"{PREFIX}:article:art_*", count=500):
        if key.count(":") == 2:
            yield key.rsplit(":", 1)[1]


def _index_article(conn: Connection, aid: str) -> int:
    """Give a v2 article what v3 reads: score, listing indexes, revision, dedup key list."""
    key = Keys.article(aid)

    def body(pipe: Pipeline) -> int:
        pipe.watch(key)
        raw = pipe.hgetall(key)
        if not raw or raw.get("score") or raw.get("deleted_at"):
            pipe.unwatch()
            return 0
        score = listing_score(conn.redis, raw.get("created_at") or utcnow())
        dedup = []
        if raw.get("external_id"):
            dedup.append(Keys.dedup("ext", digest(raw["external_id"])))
        if raw.get("url"):
            dedup.append(Keys.dedup("url", digest(raw["url"], digest(raw.get("text", "")))))
        pipe.multi()
        for shard in shard_keys(Keys.articles):  # wherever its old score put it
            pipe.zrem(shard, aid)
        index_article(pipe, aid, score, {}, raw)
        if raw.get("status") in ("queued", "processing"):
            # Reconciliation watches it from now on (an older job of it may still be live).
            pipe.zadd(Keys.pending, {aid: epoch_ms(utcnow())})
        pipe.hset(key, mapping={"score": score, "revision": raw.get("revision") or 1, "dedup": " ".join(dedup),
                                "updated_at": raw.get("created_at") or utcnow()})
        pipe.delete(Keys.revisions(aid))
        pipe.rpush(Keys.revisions(aid), revision_entry(1, raw.get("created_at") or utcnow(), None, raw.get("text", "")))
        pipe.execute()
        return 1

    return conn.transaction(body)


def _speakers_with_claims(conn: Connection) -> Iterator[str]:
    for key in conn.redis.scan_iter(match=Keys.by_speaker("spk_*"), count=500):
        yield key.rsplit(":", 1)[1].rstrip("}")


#: Schema 5's names of the keys that belong to a record (glob, which part is the record's id,
#: the key's name after the id) and what they are called since schema 6.
_RECORD_KEYS = (
    (f"{PREFIX}:article:art_*:*", lambda rid, rest: beside(Keys.article(rid), rest),
     ("claims", "revisions", "corrections", "history", "text:")),
    (f"{PREFIX}:claim:clm_*:history", lambda rid, rest: Keys.history(rid), ("history",)),
    (f"{PREFIX}:cluster:cls_*:*", lambda rid, rest: beside(Keys.cluster(rid), rest), ("claims", "log")),
    (f"{PREFIX}:speaker:spk_*:*", lambda rid, rest: beside(Keys.speaker(rid), rest), ("aliases", "titles")),
)


def _tag_record_keys(conn: Connection) -> int:
    """Schema 6: rename every key that belongs to a record to its tagged name; returns how many."""
    moved = 0
    for pattern, name, suffixes in _RECORD_KEYS:
        for key in list(conn.redis.scan_iter(match=pattern, count=1000)):
            _, _, rid, rest = key.split(":", 3)
            if rest in suffixes or (rest.startswith("text:") and "text:" in suffixes):
                moved += _move_key(conn, key, name(rid, rest))
    for key in list(conn.redis.scan_iter(match=f"{PREFIX}:claims:speaker:spk_*", count=1000)):
        moved += _move_key(conn, key, Keys.by_speaker(key.rsplit(":", 1)[1]))
    return moved


def _move_key(conn: Connection, old: str, new: str) -> int:
    """Rename `old` to `new` with its contents and expiry: RENAME on one server; on a cluster,
    where the two are in different slots, a copy (DUMP, RESTORE over whatever an interrupted
    run left) and then the old key's deletion."""
    if not conn.cluster:
        return 1 if conn.redis.rename(old, new) else 0
    raw = conn.redis.dump(old)
    if raw is None:
        return 0
    ttl = conn.redis.pttl(old)
    conn.redis.restore(new, max(ttl, 0), raw, replace=True)
    conn.redis.delete(old)
    return 1


def _key(fields: dict[str, Any]) -> tuple[str, str]:
    return fields.get("stance") or "asserts", normalize_claim(fields["text"])


def _split_cluster(conn: Connection, clsid: str) -> int:
    """Split the claims of one cluster that are not the same claim as its first; returns how
    many claims moved. Claims that moved out together and are the same claim stay together."""
    spare: list[str] = []

    def fresh_id() -> str:
        # A seq from the claim counter is never another claim's (or cluster's) id.
        return "cls_" + claim_id(conn.redis.incr(Keys.claim_seq)).partition("_")[2]

    def body(pipe: Pipeline) -> int:
        pipe.watch(Keys.cluster(clsid), Keys.cluster_claims(clsid))
        stored = pipe.hgetall(Keys.cluster(clsid))
        member_ids = pipe.zrange(Keys.cluster_claims(clsid), 0, -1)
        members = watch_claims(pipe, member_ids)
        first = members.get(stored.get("first_claim", "")) or next(iter(members.values()), None)
        if not stored or first is None:
            pipe.unwatch()
            return 0
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for fields in members.values():
            if fields["cluster_id"] == clsid and _key(fields) != _key(first):
                groups.setdefault(_key(fields), []).append(fields)
        if not groups:
            pipe.unwatch()
            return 0
        targets = []
        for group in groups.values():
            own = cluster_of_claim(group[0]["id"])
            keyed = len(group) > 1 or own == clsid or pipe.exists(Keys.cluster(own))
            if keyed:
                while len(spare) < len(targets) + 1:
                    spare.append(fresh_id())
                own = spare[len(targets)]
            targets.append((own, keyed, group))
        at = utcnow()
        pipe.multi()
        for own, keyed, group in targets:
            if keyed:
                pipe.hset(Keys.cluster(own), mapping={"id": own, "speaker_id": group[0]["speaker_id"],
                                                      "first_claim": group[0]["id"],
                                                      **records.verdict_hash(records.verification(group[0]))})
                pipe.zadd(Keys.cluster_claims(own), {f["id"]: f["seq"] for f in group})
            for fields in group:
                pipe.zrem(Keys.cluster_claims(clsid), fields["id"])
                fields.update(cluster_id=own, version=fields["version"] + 1)
                pipe.set(Keys.claim(fields["id"]), records.pack_claim(fields["id"], fields))
                verdict = records.verification(fields)
                pipe.rpush(Keys.history(fields["id"]), json.dumps({
                    "from": verdict["status"], "to": verdict["status"], "at": at, "by": MIGRATION_PRINCIPAL,
                    "note": verdict["note"], "evidence": verdict["evidence"], "review_url": verdict["review_url"],
                    "split_from": clsid}))
                pipe.rpush(Keys.cluster_log(clsid), json.dumps({
                    "action": "split", "claim_id": fields["id"], "to_cluster": own, "by": MIGRATION_PRINCIPAL,
                    "at": at, "reason": "not the same words under the verdict-safety rule"}))
        pipe.execute()
        return sum(len(group) for _, _, group in targets)

    return conn.transaction(body)


def _signature_tables(conn: Connection) -> Iterator[str]:
    for key in conn.redis.scan_iter(match=f"{PREFIX}:speaker:spk_*:clusters", count=500):
        yield key


def _move_signature_table(conn: Connection, key: str) -> int:
    """Schema 4: a speaker's signature table (one hash per speaker) becomes one key per
    signature (`Keys.signature`), with the same cluster ids in the same order."""
    sid = key.split(":")[2]

    def body(pipe: Pipeline) -> int:
        pipe.watch(key)
        table = pipe.hgetall(key)
        pipe.multi()
        if table:
            pipe.mset({Keys.signature(sid, signature): ids for signature, ids in table.items()})
        pipe.delete(key)
        pipe.execute()
        return 1

    return conn.transaction(body)


def _rebuild_table(conn: Connection, sid: str) -> None:
    """A speaker's cluster entries under the current signature, oldest cluster first (in
    the schema-3 layout, which version 4 then moves)."""
    def body(pipe: Pipeline) -> None:
        pipe.watch(Keys.by_speaker(sid), Keys.speaker_clusters(sid))
        ids = pipe.zrange(Keys.by_speaker(sid), 0, -1)
        claims = watch_claims(pipe, ids)
        table: dict[str, list[str]] = {}
        for cid in ids:
            fields = claims.get(cid)
            if fields is None:
                continue
            signature = claim_signature(*_key(fields))
            clusters = table.setdefault(signature, [])
            if fields["cluster_id"] not in clusters:
                clusters.append(fields["cluster_id"])
        pipe.multi()
        pipe.delete(Keys.speaker_clusters(sid))
        if table:
            pipe.hset(Keys.speaker_clusters(sid), mapping={s: " ".join(c) for s, c in table.items()})
        pipe.execute()

    conn.transaction(body)
