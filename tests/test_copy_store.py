"""`flask --app service.app copy-store`: a single server's store copied into the session's
Redis Cluster, resumably, and verified by key counts and a sample read back on both sides."""
from __future__ import annotations

import json

import pytest
from redis import Redis, RedisCluster

from helpers import headers, quote_article
from service.store import Keys
from service.store.copy import copy_store, verify


@pytest.fixture(scope="module")
def topology() -> str:
    """The store copied from is a single server's whatever topology the session's store has
    (--all-on-cluster included): copy-store copies from one server into a cluster."""
    return "single"


@pytest.fixture
def seeded(client, store) -> list[str]:
    """A store with articles, claims, a verdict with its history, speakers and a cluster."""
    aids = []
    for n in range(12):
        aid, claim = quote_article(client, store, f"We will open {n} new clinics in the north", "Maria Okafor",
                                   external_id=f"ext-{n}")
        aids.append(aid)
    posted = client.post("/v1/articles", json={"text": "Nothing quoted here."},
                         headers=headers("ingest", **{"Idempotency-Key": "copy-1"}))
    assert posted.status_code == 202
    claim = store.claims.of_article(aids[0]).items[0]
    response = client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "false", "note": "checked"},
                          headers=headers("verify"))
    assert response.status_code == 200, response.json
    return aids


@pytest.fixture
def cluster(redis_cluster) -> RedisCluster:
    redis_cluster.flush()
    target = RedisCluster.from_url(redis_cluster.url)
    yield target
    target.close()


def test_an_interrupted_copy_resumes_and_the_cluster_holds_the_same_store(seeded, redis_server, cluster, redis):
    source = Redis.from_url(redis_server.url)
    first = copy_store(source, cluster, batch=10, max_batches=2)
    # Two SCAN calls of COUNT 10: about 20 keys (COUNT is a hint, a call may return a few more).
    total = redis.eval("return #redis.call('KEYS', 'ct:*')", 0)
    assert not first["done"] and 0 < first["copied"] < total
    assert verify(source, cluster)["ok"] is False  # half a copy is not a copy

    resumed = copy_store(source, cluster, batch=10)
    assert resumed["done"]
    report = verify(source, cluster, sample=500)
    assert report["ok"], report
    assert report["source_keys"] == report["target_keys"] == redis.eval("return #redis.call('KEYS', 'ct:*')", 0)
    assert report["families"]["ct:article"] >= 12 and report["families"]["ct:claim"] >= 12
    assert report["sampled"] == report["source_keys"]  # fewer keys than the sample: all read back

    # The keys live on all three masters, and a record reads the same through the cluster.
    assert all(node.redis_connection.dbsize() > 0 for node in cluster.get_primaries())
    aid = seeded[3]
    assert cluster.hgetall(Keys.article(aid)) == source.hgetall(Keys.article(aid))
    # Times to live come along (an Idempotency-Key or dedup key keeps its expiry).
    expiring = [k for k in source.scan_iter(match="ct:dedup:*") if source.ttl(k) > 0]
    assert expiring and all(0 < cluster.ttl(k) <= source.ttl(k) + 1 for k in expiring)

    again = copy_store(source, cluster)
    assert again == resumed  # a finished copy is not walked twice
    source.close()


def test_verification_finds_a_key_that_differs_or_is_missing(seeded, redis_server, cluster):
    source = Redis.from_url(redis_server.url)
    assert copy_store(source, cluster, batch=50)["done"]
    cluster.hset(Keys.article(seeded[0]), "status", "failed")
    cluster.delete(Keys.article(seeded[1]))
    report = verify(source, cluster, sample=10_000)
    assert not report["ok"]
    assert Keys.article(seeded[0]) in report["mismatched"]
    assert report["differing_families"]["ct:article"][1] == report["differing_families"]["ct:article"][0] - 1
    source.close()


def test_the_copy_store_command_copies_and_reports(app, seeded, redis_cluster, cluster):
    result = app.test_cli_runner().invoke(args=["copy-store", "--to", redis_cluster.url, "--cluster",
                                                "--batch", "7"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["done"] and report["verify"]["ok"]
    assert cluster.hget(Keys.article(seeded[5]), "external_id") == b"ext-5"
