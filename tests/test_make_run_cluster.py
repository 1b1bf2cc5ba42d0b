"""`make run CLUSTER=1`: a local 3-master Redis Cluster and a queue Redis of the session's own
(scripts/cluster.sh), the store on the cluster and the jobs on the queue Redis; a second session
on the same var folder finds the same cluster again."""
from __future__ import annotations

from redis import Redis, RedisCluster

from session import Session, alive, children, cmdline, wait_for

QUOTE = '"The bridge will open in May," said Maria Okafor.\n'


def session_on(var) -> Session:
    return Session(None, CLUSTER="1", CLAIMTRACK_VAR_DIR=str(var), CLAIMTRACK_RATE_LIMIT="1000 per minute")


def test_make_run_cluster_starts_a_cluster_and_a_queue_redis(tmp_path, redis):
    var = tmp_path / "var"
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        session = session_on(var)
        session.stdout = out
        with session:
            aid = session.post_article(QUOTE)
            assert aid is not None
            wait_for(lambda: session.status(aid) == "done", "the article to be extracted", timeout=180)
            assert session.process is not None
            servers = [p for p in children(session.process.pid) if "redis-server" in cmdline(p) and alive(p)]
            assert len(servers) == 4, "three cluster nodes and the queue Redis, children of the session"
            ports = [int(p) for p in (var / "cluster" / "ports").read_text().split()]
            with RedisCluster(host="127.0.0.1", port=ports[0], decode_responses=True) as cluster:
                assert len(cluster.get_primaries()) == 3
                assert cluster.hget(f"ct:article:{aid}", "status") == "done"
            with Redis(port=ports[6], decode_responses=True) as queue:
                assert queue.keys("rq:worker:*"), "the workers registered on the queue Redis"
                assert not queue.keys("ct:article:*"), "no records on the queue Redis"
            assert session.stop() == 0
        assert not any(alive(p) for p in servers), "the servers stop with the session"

        again = session_on(var)
        again.stdout = out
        with again:
            assert again.status(aid) == "done", "the next session finds the same cluster and its data"
            assert again.stop() == 0
    printed = log.read_text()
    assert "started a local Redis Cluster (3 masters" in printed
    assert redis.dbsize() == 0, "the tests' own Redis was never used"
