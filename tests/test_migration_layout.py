"""`flask --app service.app migrate` on a store written in the layout the code before the
repository redesign wrote (schema 3). The redesign changed two shapes: a speaker's signature
table, one hash per speaker, is now one key per speaker and signature (schema 4), and the indexes of
every claim, of each type and of each search word, sorted sets of claim ids, are now bucketed
indexes of small integers (schema 5). The store below has
every kind of record (articles with revisions, claims with verdicts and histories, a cluster,
speakers, a webhook, a managed key) with the old key shapes: per-speaker signature hashes, the
word index written as the old save did, no `ct:search:pending`. After the migration the hashes
and the words' sorted sets are gone and their entries are in the new keys, every other key holds exactly what it held,
every id is unchanged, the API reads (search included) answer as before, and a new claim still
joins its cluster. Later layouts are covered below, each from the schema before it: record keys
tagged (6), global indexes sharded (7), the index of the claims with a status (8)."""
from __future__ import annotations

import json
import re

import pytest

from helpers import claim_record, headers, quote_article, seed_article
from service.store import VERIFICATION_STATUSES, Keys, sharded
from service.store.layout import WORD_BUCKET, shard_keys, unsharded
from service.store import migrate as migration
from service.store.migrate import SCHEMA, sharded_indexes
from service.store.records import unpack_claim
from service.store.text import claim_signature, normalize_claim, words
from test_unverified_list import listed, records, with_status

QUOTE = "We will move 300 jobs to Ohio next year"


def snapshot(redis) -> dict[str, object]:
    """Every key's type and content, events and RQ's keys aside (their ids are times)."""
    found: dict[str, object] = {}
    for key in sorted(redis.scan_iter(match="ct:*")):
        kind = redis.type(key)
        if kind == "string":
            value: object = redis.get(key)
        elif kind == "hash":
            value = redis.hgetall(key)
        elif kind == "list":
            value = redis.lrange(key, 0, -1)
        elif kind == "set":
            value = sorted(redis.smembers(key))
        elif kind == "zset":
            value = redis.zrange(key, 0, -1, withscores=True)
        else:
            value = redis.xlen(key)
        found[key] = (kind, value)
    return found


BUCKETED = ("ct:claims:word:", "ct:claims:all:", "ct:claims:type:")


def old_sorted_indexes(redis) -> None:
    """The indexes as sorted sets of claim ids (schema 4 and before): every claim, by type, and
    by search word, the last written by the old save in its own transaction, with no pending
    list (the follow-up step did not exist)."""
    for key in redis.scan_iter(match="ct:claims:*"):
        if key.startswith(BUCKETED):
            redis.delete(key)
    for key in redis.scan_iter(match="ct:claim:clm_*"):
        if key.count(":") != 2:
            continue
        cid = key.rsplit(":", 1)[1]
        fields = unpack_claim(cid, redis.get(key))
        redis.zadd(Keys.claims_v4, {cid: fields["seq"]})
        redis.zadd(Keys.by_type_v4(fields["type"]), {cid: fields["seq"]})
        for word in words(fields["text"]):
            redis.zadd(Keys.word_index_v4(word), {cid: fields["seq"]})
    redis.delete(Keys.search_pending)


def old_signature_tables(redis) -> dict[str, dict[str, str]]:
    """What the old save wrote for clusters: one hash per speaker, signature -> cluster ids in
    the order the clusters were made (here: no merges, so the claims' order)."""
    tables: dict[str, dict[str, str]] = {}
    for key in sorted(redis.scan_iter(match=Keys.by_speaker("spk_*"))):
        sid = key.rsplit(":", 1)[1].rstrip("}")
        for cid in redis.zrange(key, 0, -1):
            fields = unpack_claim(cid, redis.get(Keys.claim(cid)))
            signature = claim_signature(fields["stance"], normalize_claim(fields["text"]))
            ids = tables.setdefault(sid, {}).setdefault(signature, "").split()
            if fields["cluster_id"] not in ids:
                tables[sid][signature] = " ".join(ids + [fields["cluster_id"]])
    for key in redis.scan_iter(match="ct:signature:*"):
        redis.delete(key)
    for sid, table in tables.items():
        redis.hset(Keys.speaker_clusters(sid), mapping=table)
        # The old save counted each speaker's claims and last sighting in its record.
        redis.hset(Keys.speaker(sid), mapping={"claim_count": 7, "last_seen": "2024-01-01T00:00:00.000Z"})
    # ... and indexed every unverified claim under its status.
    for key in redis.scan_iter(match="ct:claim:clm_*"):
        if key.count(":") == 2:
            cid = key.rsplit(":", 1)[1]
            fields = unpack_claim(cid, redis.get(key))
            if fields["status"] == "unverified":
                redis.zadd(unsharded(Keys.by_status("unverified")), {cid: fields["seq"]})
    return tables


def test_migrating_a_store_in_the_previous_layout_moves_the_signature_tables_and_loses_nothing(app, client, store, redis):
    aid, a = quote_article(client, store, QUOTE, "Nadia Brennan", title="Jobs")
    _, b = quote_article(client, store, QUOTE, "Nadia Brennan")  # joins a's cluster
    _, c = quote_article(client, store, "Taxes will fall", "Tom Becker", kind="person")
    assert client.patch(f"/v1/claims/{a['id']}/verification", json={"status": "false", "note": "no such plan"},
                        headers=headers("verify", **{"If-Match": '"1"'})).status_code == 200
    revised = client.put(f"/v1/articles/{aid}", json={"text": f'"{QUOTE}," Nadia Brennan said on Monday.'},
                         headers=headers("ingest"))
    assert revised.status_code == 202
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, [claim_record(QUOTE, 1, speaker="Nadia Brennan")], revision=2)
    assert client.post("/v1/keys", json={"name": "cms", "roles": ["ingest"]}, headers=headers("admin")).status_code == 201
    store.webhooks.add("https://hooks.example.org/ct", ["claim.created"], "whsec_" + "a" * 40)
    # What the API answers on the store as the current code wrote it, and its word index.
    reads = {path: client.get(path, headers=headers("admin")).json for path in (
        f"/v1/claims/{a['id']}", f"/v1/claims/{b['id']}", f"/v1/claims/{c['id']}", f"/v1/articles/{aid}",
        f"/v1/articles/{aid}/revisions", f"/v1/claims/{a['id']}/history", f"/v1/clusters/{a['cluster_id']}",
        f"/v1/speakers/{a['speaker']['id']}", "/v1/claims?q=ohio", "/v1/webhooks", "/v1/keys")}
    assert [x["id"] for x in reads["/v1/claims?q=ohio"]["items"]] == [b["id"], a["id"]]
    bucketed = {k: v for k, v in snapshot(redis).items() if k.startswith(BUCKETED)}
    assert all(kind == "set" for kind, _ in bucketed.values())
    assert {p for k in bucketed for p in BUCKETED if k.startswith(p)} == set(BUCKETED)
    shards = {k: v for k, v in snapshot(redis).items() if "/{" in k}
    statuses = {k: v for k, v in snapshot(redis).items() if k.startswith(Keys.with_status)}
    assert statuses, "a and b have a status"
    as_schema_7(redis)
    as_schema_6(redis)  # the sharded indexes as one sorted set each, as schema 3 to 6 kept them
    old_sorted_indexes(redis)
    tables = old_signature_tables(redis)
    redis.set(Keys.schema, "3")
    before = snapshot(redis)
    old_indexes = {k: before.pop(k) for k in list(before) if k.startswith(BUCKETED) or k == Keys.claims_v4}
    assert all(kind == "zset" for kind, _ in old_indexes.values())
    assert old_indexes[Keys.claims_v4][1] == [(x["id"], float(int(x["id"][4:], 36))) for x in sorted(
        (a, b, c), key=lambda x: int(x["id"][4:], 36))]

    report = migrate_cli(app)
    assert report["signature_tables_moved"] == len(tables) == 2
    assert report["word_indexes_dropped"] == sum(k.startswith("ct:claims:word:") for k in old_indexes)
    after = snapshot(redis)
    # Schema 5: the sorted sets are gone, the bucketed indexes hold what a save writes.
    assert {k: after.pop(k) for k in list(after) if k.startswith(BUCKETED)} == bucketed
    assert after.pop(Keys.schema) == ("string", str(SCHEMA)) and before.pop(Keys.schema) == ("string", "3")
    for sid, table in tables.items():
        assert before.pop(Keys.speaker_clusters(sid)) == ("hash", table)
        kind, record = before[Keys.speaker(sid)]
        assert record.pop("claim_count") == "7" and record.pop("last_seen")  # derived since schema 4
        for signature, ids in table.items():
            assert after.pop(Keys.signature(sid, signature)) == ("string", ids)
    kind, unverified = before.pop(unsharded(Keys.by_status("unverified")))
    assert [cid for cid, _ in unverified] == [c["id"]]  # a and b share a verdict; unindexed since schema 4
    # Schema 7: the indexes' entries are in their shards.
    assert {k: after.pop(k) for k in list(after) if "/{" in k} == shards
    # Schema 8: the claims with a status are indexed.
    assert {k: after.pop(k) for k in list(after) if k.startswith(Keys.with_status)} == statuses
    unsharded_entries = {m: s for k in list(before) if k in {unsharded(i) for i in sharded_indexes()}
                         for m, s in before.pop(k)[1]}
    assert unsharded_entries == {m: s for _, entries in shards.values() for m, s in entries}
    assert after == before, "nothing else rewritten, nothing lost"
    for path, body in reads.items():
        assert client.get(path, headers=headers("admin")).json == body, path
    # The moved entries are the ones a save reads: the same words join the same cluster.
    _, again = quote_article(client, store, QUOTE, "Nadia Brennan")
    assert again["cluster_id"] == a["cluster_id"]
    assert again["verification"]["status"] == "false"


def as_schema_5(redis) -> int:
    """Rename every key that belongs to a record back to its schema-5 name (the record's id in
    place of its key as a hash tag: ``ct:article:art_x:claims``), by copy and delete, which
    works across a cluster's slots too; returns how many."""
    moved = 0
    for key in list(redis.scan_iter(match="ct:*{ct:*")):
        head, rid, rest = re.fullmatch(r"(.*?)\{ct:\w+:([^}]+)\}(.*)", key).groups()
        ttl = redis.pttl(key)
        redis.restore(head + rid + rest, max(ttl, 0), redis.dump(key))
        redis.delete(key)
        moved += 1
    return moved


@pytest.mark.both_topologies
def test_migrating_schema_5_tags_the_keys_of_each_record_and_changes_nothing_else(app, client, store, redis):
    """Schema 6 names the keys that belong to a record (an article's claims, revisions and
    texts, a claim's history, a cluster's claims and log, a speaker's aliases, titles and claim
    index) with the record's key as hash tag; a store written with schema 5's names reads the
    same after the migration, key for key, and a new claim still joins its cluster."""
    aid, a = quote_article(client, store, QUOTE, "Nadia Brennan", title="Jobs")
    _, b = quote_article(client, store, QUOTE, "Nadia Brennan")  # joins a's cluster
    assert client.patch(f"/v1/claims/{a['id']}/verification", json={"status": "false"},
                        headers=headers("verify", **{"If-Match": '"1"'})).status_code == 200
    assert client.put(f"/v1/articles/{aid}", json={"text": f'"{QUOTE}," Nadia Brennan, minister, said.'},
                      headers=headers("ingest")).status_code == 202
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, [claim_record(QUOTE, 1, speaker="Nadia Brennan", title="Minister")], revision=2)
    paths = (f"/v1/claims/{a['id']}", f"/v1/claims/{b['id']}", f"/v1/articles/{aid}", f"/v1/articles/{aid}/revisions",
             f"/v1/claims/{a['id']}/history", f"/v1/clusters/{a['cluster_id']}", f"/v1/speakers/{a['speaker']['id']}",
             f"/v1/claims?speaker_id={a['speaker']['id']}", f"/v1/articles/{aid}/claims")
    reads = {path: client.get(path, headers=headers("admin")).json for path in paths}
    expected = snapshot(redis)
    tagged = {k for k in expected if "{ct:" in k}
    assert {re.sub(r"\{ct:\w+:[^}]+\}", "*", k) for k in tagged} >= {
        "ct:article:*:claims", "ct:article:*:revisions", "ct:article:*:text:1", "ct:claim:*:history",
        "ct:cluster:*:claims", "ct:claims:speaker:*", "ct:speaker:*:titles"}
    as_schema_7(redis)
    assert as_schema_5(redis) == len(tagged)
    redis.set(Keys.schema, "5")
    assert not redis.keys("ct:*{ct:*") and redis.exists(f"ct:article:{aid}:claims", f"ct:claim:{a['id']}:history") == 2

    assert migrate_cli(app)["record_keys_tagged"] == len(tagged)
    after = snapshot(redis)
    assert after.pop(Keys.schema) == ("string", str(SCHEMA)) and Keys.schema not in expected
    assert after == expected, "every key back under its tagged name, with what it held"
    for path, body in reads.items():
        assert client.get(path, headers=headers("admin")).json == body, path
    assert migrate_cli(app)["from"] == SCHEMA, "run again, it finds the data current"
    _, c = quote_article(client, store, QUOTE, "Nadia Brennan")
    assert c["cluster_id"] == a["cluster_id"] and c["verification"]["status"] == "false"


def as_schema_7(redis) -> int:
    """Drop the index of the claims with a status (`Keys.with_status`), which schema 7 and
    before did not keep; returns how many of its buckets there were."""
    buckets = list(redis.scan_iter(match=Keys.with_status + "*"))
    for key in buckets:
        redis.delete(key)
    return len(buckets)


def as_schema_6(redis) -> int:
    """Put every sharded index back in one sorted set (`layout.unsharded`), as schema 6 kept
    it; returns how many entries moved."""
    moved = 0
    for index in sharded_indexes():
        entries = {m: s for key in shard_keys(index) for m, s in redis.zrange(key, 0, -1, withscores=True)}
        redis.delete(*shard_keys(index))
        if entries:
            redis.zadd(unsharded(index), entries)
        moved += len(entries)
    return moved


class Interrupted(Exception):
    pass


class FailsAfter:
    """A writer the migration calls (`sharded.add`, `add_claims`), raising after `calls` calls:
    a migration killed half way through moving or building an index."""

    def __init__(self, add, calls: int) -> None:
        self.add, self.calls = add, calls

    def __call__(self, *args, **kwargs) -> None:
        self.calls -= 1
        if self.calls < 0:
            raise Interrupted()
        self.add(*args, **kwargs)


def migrate_cli(app) -> dict:
    """`flask migrate` run as an operator runs it; its report."""
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.splitlines()[0])


def interrupt_migration(store, monkeypatch, batch: int, owner, name: str, calls: int) -> None:
    """The migration, `batch` entries a round trip, killed by `owner.name` failing after `calls`
    calls (`FailsAfter`)."""
    monkeypatch.setattr(migration, "MOVE_BATCH", batch)
    monkeypatch.setattr(owner, name, FailsAfter(getattr(owner, name), calls))
    with pytest.raises(Interrupted):
        migration.migrate(store.conn)
    monkeypatch.undo()


@pytest.mark.both_topologies
def test_migrating_schema_6_shards_the_global_indexes_resumably_and_changes_nothing_else(
        app, client, store, redis, monkeypatch):
    """Schema 7 keeps the indexes every save or verdict writes (the claims by status, by stance
    and superseded; the articles, and by status) as 16 shards each. A store in schema 6's layout
    (each one sorted set) reads the same after the migration, key for key, page by page; a
    migration killed half way leaves the old sorted sets it had not finished, and running it
    again finishes it."""
    quotes = [f"We will build {n} new bridges by the end of the decade" for n in range(1, 25)]
    text = " ".join(f'"{q}," Nadia Brennan said.' for q in quotes)
    records, at = [], 1
    for n, quote in enumerate(quotes):
        records.append(claim_record(quote, at, speaker="Nadia Brennan",
                                    stance=("denies", "questions", "asserts")[n % 3]))
        at += len(f'"{quote}," Nadia Brennan said. ')
    aid = seed_article(client, store, text, records, source="Daily")
    claims = store.claims.of_article(aid, limit=100).items
    for claim in claims[:12]:
        assert client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "false"},
                            headers=headers("verify", **{"If-Match": '"1"'})).status_code == 200
    for n in range(3):
        quote_article(client, store, f"Taxes will fall by {n} percent", "Tom Becker", source="Daily")
    client.post("/v1/articles", json={"text": "Nothing said yet."}, headers=headers("ingest"))
    # A revision that drops the last quotes: their claims are superseded.
    kept = text[:text.index(quotes[20]) - 1]
    assert client.put(f"/v1/articles/{aid}", json={"text": kept}, headers=headers("ingest")).status_code == 202
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, records[:20], revision=2)

    def pages(path: str) -> list[list[str]]:
        """Every page of a list, two items a page, by the cursors it hands out."""
        found, cursor = [], None
        while True:
            body = client.get(path + (f"&cursor={cursor}" if cursor else ""), headers=headers("admin")).json
            found.append([item["id"] for item in body["items"]])
            cursor = body.get("next_cursor")
            if not cursor:
                return found

    paths = ("/v1/claims?limit=2", "/v1/claims?status=false&limit=2", "/v1/claims?stance=denies&limit=2",
             "/v1/claims?stance=asserts&limit=2", "/v1/claims?include=superseded&limit=2",
             "/v1/claims?status=unverified&limit=2", "/v1/articles?limit=2", "/v1/articles?status=done&limit=2",
             "/v1/articles?status=queued&limit=2", "/v1/articles?source=Daily&status=done&limit=2",
             f"/v1/articles/{aid}/claims?include=superseded&limit=2", f"/v1/speakers/{claims[0]['speaker']['id']}")
    reads = {path: pages(path) if "limit" in path else client.get(path, headers=headers("admin")).json
             for path in paths}
    assert len(reads["/v1/claims?status=false&limit=2"]) == 6 and len(reads["/v1/claims?limit=2"]) > 6
    assert sum(map(len, reads["/v1/claims?include=superseded&limit=2"])) == \
        sum(map(len, reads["/v1/claims?limit=2"])) + 4
    expected = snapshot(redis)
    shards = {k for k in expected if "/{" in k}
    assert {k.split("/{")[0] for k in shards} >= {
        "ct:articles", "ct:articles:status:done", "ct:articles:status:queued", "ct:claims:status:false",
        "ct:claims:stance:denies", "ct:claims:stance:questions", "ct:claims:superseded"}
    assert len({k for k in shards if k.startswith("ct:claims:status:false/")}) > 8, "spread over the shards"
    as_schema_7(redis)
    entries = as_schema_6(redis)
    assert entries == sum(len(expected[k][1]) for k in shards)
    redis.set(Keys.schema, "6")
    assert not [k for k in redis.scan_iter(match="ct:*") if "/{" in k]

    interrupt_migration(store, monkeypatch, 5, sharded, "add", 4)
    assert redis.get(Keys.schema) == "6", "not at schema 7 until every index is moved"
    assert [k for k in redis.scan_iter(match="ct:*") if "/{" in k], "some entries were moved"
    assert any(redis.exists(unsharded(index)) for index in sharded_indexes()), "and some were not"

    report = migrate_cli(app)
    assert report["from"] == 6 and 0 < report["index_entries_sharded"] <= entries
    after = snapshot(redis)
    assert after.pop(Keys.schema) == ("string", str(SCHEMA)) and Keys.schema not in expected
    assert after == expected, "every entry in its shard, every other key as it was"
    for path, body in reads.items():
        assert (pages(path) if "limit" in path else client.get(path, headers=headers("admin")).json) == body, path


@pytest.mark.both_topologies
def test_migrating_schema_7_indexes_the_claims_with_a_status_resumably(app, client, store, redis, monkeypatch):
    """Schema 8 keeps every claim whose status is not `unverified` in one bucketed index, which
    the unverified list excludes. A store written without it (schema 7: verdicts of every
    status, some set back to unverified, a claim that inherited its cluster's verdict, claims in
    two buckets) gets it from the status indexes, key for key what the code writes, resumably;
    `status=unverified` lists the same claims, page by page, as before."""
    def article(first: int, count: int) -> list[dict]:
        quotes = [f"We will build {n} new bridges by the end of the decade" for n in range(first, first + count)]
        text = " ".join(f'"{q}," Nadia Brennan said.' for q in quotes)
        found, at = [], 1
        for quote in quotes:
            found.append(claim_record(quote, at, speaker="Nadia Brennan"))
            at += len(f'"{quote}," Nadia Brennan said. ')
        return store.claims.of_article(seed_article(client, store, text, found), limit=100).items

    def verify(cid: str, status: str) -> None:
        assert client.patch(f"/v1/claims/{cid}/verification", json={"status": status},
                            headers=headers("verify")).status_code == 200

    statuses = [s for s in VERIFICATION_STATUSES if s != "unverified"]
    claims = article(1, 20)
    redis.incrby(Keys.claim_seq, WORD_BUCKET)  # the next claims in the next bucket
    claims += article(101, 12)
    for n, claim in enumerate(claims[:24]):
        verify(claim["id"], statuses[n % len(statuses)])
    for claim in claims[:3]:
        verify(claim["id"], "unverified")
    _, again = quote_article(client, store, "We will build 5 new bridges by the end of the decade", "Nadia Brennan")
    assert again["verification"]["status"] == statuses[4], "inherited from its cluster"
    unverified = [cid for cid, f in sorted(records(redis).items(), key=lambda kv: -kv[1]["seq"])
                  if f["status"] == "unverified"]
    assert len(unverified) == 3 + 8
    before = {limit: listed(client, "status=unverified", limit) for limit in (2, 50)}
    assert before[2] == before[50] == unverified
    expected = snapshot(redis)
    assert as_schema_7(redis) == 2, "two buckets"
    redis.set(Keys.schema, "7")

    interrupt_migration(store, monkeypatch, 3, migration, "add_claims", 2)
    assert redis.get(Keys.schema) == "7", "not at schema 8 until the index is whole"
    assert 0 < len(with_status(redis)) < 22, "some entries were added, not all"

    report = migrate_cli(app)
    assert report["from"] == 7 and report["claims_with_status_indexed"] == 24 - 3 + 1
    after = snapshot(redis)
    assert after.pop(Keys.schema) == ("string", str(SCHEMA)) and Keys.schema not in expected
    assert after == expected, "the index as the code writes it, every other key as it was"
    assert {limit: listed(client, "status=unverified", limit) for limit in (2, 50)} == before
    assert migrate_cli(app)["from"] == SCHEMA, "run again, it finds the data current"
