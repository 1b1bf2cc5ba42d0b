"""The test session's local Redis Cluster, and an app configured for it (CLAIMTRACK_REDIS_CLUSTER)."""
from __future__ import annotations

import pytest
from redis import RedisCluster

from helpers import headers
from service import create_app
from service.store import Repositories

pytestmark = pytest.mark.both_topologies


def test_the_session_cluster_has_three_masters_sharing_every_slot(redis_cluster):
    with RedisCluster.from_url(redis_cluster.url) as client:
        masters = client.get_primaries()
        assert len(masters) == 3
        slots = client.cluster_slots()
        assert sum(end - start + 1 for (start, end) in slots) == 16384


def test_the_store_client_follows_the_topology(config, topology):
    repos = Repositories.from_config(config)
    try:
        assert repos.conn.cluster == (topology == "cluster")
        assert repos.conn.queue_shared == (topology == "single")
        assert repos.ping()
    finally:
        repos.close()


def test_readiness_on_each_topology(config):
    assert create_app(config).test_client().get("/readyz").status_code == 200


def test_status_reads_the_queue_redis_on_each_topology(client, config):
    body = client.get("/v1/status", headers=headers("admin")).json
    assert [q["name"] for q in body["queues"]][0] == config.queue_name
    assert body["articles"].get("queued", 0) == 0
