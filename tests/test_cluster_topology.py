"""The test session's local Redis Cluster, and an app configured for it (CLAIMTRACK_REDIS_CLUSTER)."""
from __future__ import annotations

import pytest
from redis import Redis, RedisCluster

from helpers import RedisServer, headers, wait_for
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


def test_an_app_made_while_its_store_is_down_answers_503_then_serves_once_it_is_up(tmp_path, topology, config):
    """On one server redis-py connects on the first command; a cluster's client asks for the
    slots when it is made. Either way the API starts without its store, answers 503, and serves
    as soon as the store answers, without a restart (here a one-master cluster, or one server,
    started only after the app)."""
    server = RedisServer(tmp_path, cluster=topology == "cluster")
    settings = {"redis_url": server.url}
    if topology == "cluster":
        settings = {"redis_url": f"redis://127.0.0.1:{server.port}", "redis_cluster": True}
    app = create_app(config.replace(**settings, redis_socket_timeout=0.5))
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    assert client.get("/v1/claims", headers=headers("read")).status_code == 503
    server.start()
    try:
        if topology == "cluster":
            with Redis(port=server.port, decode_responses=True) as node:
                node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
                wait_for(lambda: "cluster_state:ok" in node.execute_command("CLUSTER", "INFO"),
                         "the one-master cluster to serve every slot", timeout=30)
        assert client.get("/readyz").status_code == 200
        listed = client.get("/v1/claims", headers=headers("read"))
        assert listed.status_code == 200 and listed.json["items"] == [], listed.json
    finally:
        server.stop()
