"""The default review queue, `GET /v1/claims?status=unverified`, leaves out the claims that have
a status through one index, that of every claim with a status (`Keys.with_status`, schema 8),
instead of probing each status index. That index must be exact wherever a status changes or a
claim goes: a verdict and its propagation through a cluster, one set back to unverified, a move
between statuses, `not_a_claim`, a verdict a new claim inherits from its cluster on save, a link
into a cluster with a verdict, a correction, a claim a reviewer adds, a revision, a takedown.

After each step `assert_exact` compares the index and the unverified list with what the claim
records say: the index holds exactly the claims whose status is not `unverified`, and the list,
page by page, exactly the unverified claims that are not superseded, newest first."""
from __future__ import annotations

import pytest
from redis import Redis

from helpers import claim_record, headers, quote_article, seed_article
from service.store import Keys
from service.store.layout import WORD_BUCKET
from service.store.reads import move_status, status_indexes
from service.store.records import unpack_claim
from service.store.values import claim_id

QUOTE = "We will move 300 jobs to Ohio next year"


def records(redis) -> dict[str, dict]:
    """Every claim record in the store, by id."""
    keys = [k for k in redis.scan_iter(match="ct:claim:clm_*", count=1000) if k.count(":") == 2]
    return {k.rsplit(":", 1)[1]: unpack_claim(k.rsplit(":", 1)[1], raw)
            for k, raw in zip(keys, redis.mget(keys) if keys else [])}


def with_status(redis) -> set[int]:
    """The seqs in the index of every claim with a status, from its buckets."""
    return {int(key[len(Keys.with_status):]) * WORD_BUCKET + int(offset)
            for key in redis.scan_iter(match=Keys.with_status + "*", count=1000)
            for offset in redis.smembers(key)}


def listed(client, query: str = "status=unverified", limit: int = 2) -> list[str]:
    """Every claim of a list, read page by page (`limit` a page) by the cursors it hands out."""
    found, cursor = [], None
    while True:
        body = client.get(f"/v1/claims?limit={limit}" + (f"&{query}" if query else "")
                          + (f"&cursor={cursor}" if cursor else ""), headers=headers("read")).json
        found += [item["id"] for item in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return found


def assert_exact(client, redis) -> list[str]:
    """The index and the unverified list agree with the records; returns the list."""
    stored = records(redis)
    assert with_status(redis) == {f["seq"] for f in stored.values() if f["status"] != "unverified"}
    expected = [cid for cid, f in sorted(stored.items(), key=lambda kv: -kv[1]["seq"])
                if f["status"] == "unverified" and f.get("superseded_in_revision") is None]
    assert listed(client) == expected
    return expected


def verify(client, cid: str, status: str) -> None:
    response = client.patch(f"/v1/claims/{cid}/verification", json={"status": status}, headers=headers("verify"))
    assert response.status_code == 200, response.json


@pytest.mark.both_topologies
def test_verdicts_moves_and_propagation_keep_the_unverified_list_exact(client, store, redis):
    _, a = quote_article(client, store, QUOTE, "Nadia Brennan")
    _, b = quote_article(client, store, QUOTE, "Nadia Brennan")  # a's cluster
    _, c = quote_article(client, store, "Taxes will fall", "Tom Becker")
    _, d = quote_article(client, store, "The bridge is safe", "Ada Byrne")
    assert assert_exact(client, redis) == [d["id"], c["id"], b["id"], a["id"]]
    verify(client, a["id"], "false")  # and b, through their cluster
    assert assert_exact(client, redis) == [d["id"], c["id"]]
    verify(client, c["id"], "in_review")
    verify(client, c["id"], "mostly_true")  # between two statuses: still out of the queue
    assert assert_exact(client, redis) == [d["id"]]
    assert [x["id"] for x in client.get("/v1/claims?status=mostly_true", headers=headers("read")).json["items"]] \
        == [c["id"]]
    verify(client, c["id"], "unverified")  # set back: in the queue again
    verify(client, d["id"], "not_a_claim")
    assert assert_exact(client, redis) == [c["id"]]
    assert listed(client, "status=not_a_claim") == [d["id"]] and d["id"] not in listed(client, "")
    verify(client, d["id"], "unverified")
    verify(client, b["id"], "unverified")  # and a, through their cluster
    assert assert_exact(client, redis) == [d["id"], c["id"], b["id"], a["id"]]
    assert not with_status(redis)


def test_a_move_between_two_statuses_leaves_the_claim_in_the_index_untouched(redis_server):
    """Only the status indexes change when a claim goes from one status to another that is not
    `unverified`: the commands queued on a single server's transaction (the same whatever the
    topology), not their effect (which `assert_exact` checks); nothing is sent."""
    seq = 3723

    def queued(before: str, after: str) -> list[tuple]:
        with Redis.from_url(redis_server.url) as client, client.pipeline(transaction=True) as pipe:
            move_status(pipe, claim_id(seq), seq, before, after)
            return [tuple(args) for args, _ in pipe.command_stack]

    bucket = f"{Keys.with_status}{seq // WORD_BUCKET}"
    moved = queued("true", "false")
    assert moved and not [c for c in moved if c[1] == bucket]
    assert ("SADD", bucket, seq % WORD_BUCKET) in queued("unverified", "in_review")
    assert ("SREM", bucket, seq % WORD_BUCKET) in queued("not_a_claim", "unverified")
    assert queued("false", "false") == [] and queued("unverified", "unverified") == []
    assert status_indexes("unverified") == ()
    assert status_indexes("true") == (Keys.by_status("true"), Keys.with_status)


@pytest.mark.both_topologies
def test_inherited_and_linked_verdicts_keep_the_unverified_list_exact(client, store, redis):
    _, a = quote_article(client, store, QUOTE, "Nadia Brennan")
    verify(client, a["id"], "mostly_false")
    # A new claim of the same words inherits its cluster's verdict when it is saved.
    _, b = quote_article(client, store, QUOTE, "Nadia Brennan")
    assert b["cluster_id"] == a["cluster_id"] and b["verification"]["status"] == "mostly_false"
    near = quote_article(client, store, QUOTE.replace("300", "three hundred"), "Nadia Brennan")[1]
    assert assert_exact(client, redis) == [near["id"]]
    # Linked into the cluster, it takes the cluster's verdict.
    response = client.post(f"/v1/clusters/{a['cluster_id']}/claims", json={"claim_id": near["id"]},
                           headers=headers("verify"))
    assert response.status_code == 200 and response.json["verification"]["status"] == "mostly_false"
    assert assert_exact(client, redis) == []
    # Split out, it keeps its verdict: still out of the queue.
    assert client.delete(f"/v1/clusters/{a['cluster_id']}/claims/{near['id']}",
                         headers=headers("verify")).status_code == 200
    assert assert_exact(client, redis) == []
    verify(client, near["id"], "unverified")
    assert assert_exact(client, redis) == [near["id"]]


TEXT = ('Elena Marsh denied that the bridge was unsafe. "We inspected every bolt," said Tom Reyes, '
        'the city engineer. Critics said the repairs came too late.')
BOLT = "We inspected every bolt"
LATE = "the repairs came too late"


def correct(client, cid: str, body: dict) -> dict:
    version = client.get(f"/v1/claims/{cid}", headers=headers("read")).headers["ETag"]
    response = client.patch(f"/v1/claims/{cid}/correction", json=body,
                            headers=headers("verify", **{"If-Match": version}))
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.both_topologies
def test_corrections_added_claims_revisions_and_takedowns_keep_the_unverified_list_exact(client, store, redis):
    aid = seed_article(client, store, TEXT, [
        claim_record(BOLT, TEXT.index(BOLT), speaker="Elena Marsh"),
        claim_record(LATE, TEXT.index(LATE), speaker="Critics", kind="unnamed", claim_type="indirect")])
    bolt, late = store.claims.of_article(aid).items
    other = seed_article(client, store, f'"{BOLT}," Tom Reyes said.', [claim_record(BOLT, 1, speaker="Tom Reyes")])
    reyes = store.claims.of_article(other).items[0]
    verify(client, reyes["id"], "true")
    assert assert_exact(client, redis) == [late["id"], bolt["id"]]
    # Corrected to Reyes, the unverified claim joins his cluster and takes its verdict.
    moved = correct(client, bolt["id"], {"speaker": {"id": reyes["speaker"]["id"]}})
    assert moved["cluster_id"] == reyes["cluster_id"] and moved["verification"]["status"] == "true"
    assert assert_exact(client, redis) == [late["id"]]
    # A claim with a verdict keeps it when corrected.
    verify(client, late["id"], "half_true")
    assert correct(client, late["id"], {"type": "direct"})["verification"]["status"] == "half_true"
    assert assert_exact(client, redis) == []
    # A claim a reviewer adds is unverified, or takes the verdict of the cluster it joins.
    start = TEXT.index("the city engineer")
    added = client.post(f"/v1/articles/{aid}/claims", headers=headers("verify"), json={
        "span": {"start": start, "end": start + len("the city engineer")},
        "speaker": {"name": "Ada Byrne", "kind": "person"}, "type": "indirect"}).json
    assert assert_exact(client, redis) == [added["id"]]
    # A revision that drops a claim supersedes it: out of the queue, in the index while it has a status.
    revised = TEXT[:TEXT.index("Critics")]
    assert client.put(f"/v1/articles/{aid}", json={"text": revised}, headers=headers("ingest")).status_code == 202
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, [claim_record(BOLT, revised.index(BOLT), speaker="Elena Marsh")], revision=2)
    assert store.claims.get(late["id"])["superseded_in_revision"] == 2
    assert assert_exact(client, redis) == [added["id"]]
    # Taken down, the article's claims leave every index, this one too.
    assert client.delete(f"/v1/articles/{aid}", headers=headers("admin")).status_code == 200
    assert set(records(redis)) == {reyes["id"]}
    assert assert_exact(client, redis) == []
    assert with_status(redis) == {int(reyes["id"][4:], 36)}
