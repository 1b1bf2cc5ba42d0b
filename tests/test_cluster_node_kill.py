"""A Redis Cluster node killed (SIGKILL) in the middle of an article's save, with more articles
waiting behind it: once the node is back, every acknowledged article ends `done` with its
claims, each stored once, and nothing is left half written.

Nothing depends on the machine's speed: the save is held between its reads and its writes by a
gate (tests/crash_jobs.py) while the node is killed, so its commit meets the dead node; the
worker is frozen (SIGSTOP) while the node restarts, so no retry can spend itself meanwhile; and
every wait is for a state, not for a time. The cluster's nodes are append-only with an fsync on
every write (durable), as a production cluster must be for "acknowledged" to mean kept.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Callback, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from crash_jobs import save_gate_key, save_started_key
from helpers import API_KEYS, LocalCluster, RedisServer, WholeCluster, headers, stop_worker, wait_for
from service import create_app
from service.config import Config
from service.queue import FAILURE_CALLBACK, extraction_queue
from service.runtime import EXTENSION
from service.store import Keys, reads, records
from service.store.base import after_commit
from service.store.records import unpack_claim
from workers import model
from workers.extraction import extract_claims

ROOT = Path(__file__).resolve().parent.parent
TEXT = ('"The new line will carry {n} thousand passengers a day," said Maria Okafor, the governor of Lakeshore. '
        "Okafor said that the tunnels would open in {n} stages. "
        '"We have not seen the costs," said Tom Becker, the mayor of Dover.\n')


@pytest.fixture(scope="module")
def durable_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path_factory.mktemp("durable-cluster"), durable=True)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def settings(durable_cluster: LocalCluster, queue_server: RedisServer) -> Config:
    durable_cluster.flush()
    with Redis.from_url(queue_server.url) as queue:
        queue.flushall()
    return Config(redis_url=durable_cluster.url, redis_cluster=True, queue_url=queue_server.url, api_keys=API_KEYS,
                  rate_limit="", auth_failure_limit="", job_retries=5, retry_intervals=(1, 1, 2, 4, 8),
                  reconcile_after=3, maintenance_interval=1, job_heartbeat=1)


def start_worker(config: Config) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": config.redis_url, "CLAIMTRACK_REDIS_CLUSTER": "on",
           "CLAIMTRACK_QUEUE_URL": config.queue_url, "CLAIMTRACK_JOB_HEARTBEAT": "1",
           "CLAIMTRACK_MAINTENANCE_INTERVAL": "1", "CLAIMTRACK_RECONCILE_AFTER": "3",
           "CLAIMTRACK_JOB_RETRIES": "5", "CLAIMTRACK_RETRY_INTERVALS": "1,1,2,4,8", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "workers.worker", "--serve", "extraction"], cwd=ROOT, env=env,
                            start_new_session=True)


def until_back(condition, what: str, timeout: float = 180.0):
    """`wait_for`, with an error taken as not yet: the cluster answers CLUSTERDOWN while a node is away."""
    return wait_for(condition, what, timeout=timeout, tolerate=(Exception,))


def node_of(cluster: LocalCluster, client: WholeCluster, key: str) -> RedisServer:
    port = client.get_node_from_key(key).port
    return next(node for node in cluster.nodes if node.port == port)


def test_a_node_killed_during_a_save_loses_no_acknowledged_article(settings, durable_cluster, queue_server):
    app = create_app(settings)
    repos = app.extensions[EXTENSION].repos
    queue = extraction_queue(repos.raw, settings)
    store = WholeCluster.from_url(durable_cluster.url, decode_responses=True)
    queue_redis = Redis.from_url(queue_server.url, decode_responses=True)
    client = app.test_client()
    intents_node = node_of(durable_cluster, store, Keys.intents)

    # The held article: one whose record is on another node than the intents (so the node
    # killed holds the article, and the intents' node stays up).
    held, job_id, others = None, None, []
    for n in range(30):
        def enqueue(pipe, aid: str):
            job_id_ = f"extract-{aid}-held"
            after_commit(pipe, lambda: queue.enqueue(
                "crash_jobs.save_gated_extract", aid, job_id=job_id_, job_timeout=300,
                retry=Retry(max=5, interval=[1, 1, 2, 4, 8]), on_failure=Callback(FAILURE_CALLBACK)))
            repos.jobs.remember_job(pipe, aid, job_id_)
        if held is None:
            article, created = repos.articles.create({"text": TEXT.format(n=n)}, [], enqueue)
            assert created
            if node_of(durable_cluster, store, Keys.article(article["id"])) is not intents_node:
                held, job_id = article["id"], f"extract-{article['id']}-held"
            else:
                others.append(article["id"])
        else:
            break
    assert held is not None
    for n in range(100, 104):  # more articles, posted through the API, waiting behind it
        response = client.post("/v1/articles", json={"text": TEXT.format(n=n)}, headers=headers("ingest"))
        assert response.status_code == 202
        others.append(response.json["id"])
    victim = node_of(durable_cluster, store, Keys.article(held))

    worker = start_worker(settings)
    try:
        until_back(lambda: queue_redis.llen(save_started_key(held)) == 1, "the save to hold between reads and writes",
                 timeout=300)
        victim.kill()
        # The worker (and its scheduler) frozen, its work horse (a process group of its own)
        # not: the held save meets the dead node, and nothing else runs until the node is back.
        os.killpg(worker.pid, signal.SIGSTOP)
        queue_redis.rpush(save_gate_key(held), "go")

        def failed_once() -> bool:
            job = Job.fetch(job_id, connection=repos.raw, serializer=JSONSerializer)
            return job.retries_left is not None and job.retries_left < 5
        until_back(failed_once, "the save's commit to fail on the dead node")
        victim.start()
        durable_cluster.wait_ok()
        # The commit met the dead node while giving its groups their tickets, before writing its
        # intent: nothing of the save was applied (no intent to finish); the job's retry saves it.
        assert store.zcard(Keys.intents) == 0 and store.hget(Keys.article(held), "status") != "done"
        os.killpg(worker.pid, signal.SIGCONT)
        for aid in [held, *others]:
            until_back(lambda aid=aid: store.hget(Keys.article(aid), "status") == "done", f"{aid} to end done",
                     timeout=300)
        until_back(lambda: store.zcard(Keys.intents) == 0, "every intent to be finished", timeout=60)
    finally:
        stop_worker(worker)

    extracted = {aid: extract_claims(store.hget(Keys.article(aid), "text"), model.preload(None))
                 for aid in [held, *others]}
    total = 0
    for aid, claims in extracted.items():
        ids = store.zrange(Keys.article_claims(aid), 0, -1)
        stored = [unpack_claim(cid, store.get(Keys.claim(cid))) for cid in ids]
        assert int(store.hget(Keys.article(aid), "claim_count")) == len(ids) == len(claims) > 0, aid
        assert Counter((c["start"], c["end"]) for c in stored) == Counter((c.start, c.end) for c in claims)
        total += len(ids)
    assert reads.index_size(repos.conn, Keys.claims) == total
    done = Counter(event["data"]["article_id"] for _, fields in store.xrange(Keys.events)
                   for event in records.events(fields) if event["type"] == "article.done")
    assert done == Counter({aid: 1 for aid in extracted}), "each article was finished once"
    assert not store.keys("ct:lock:*")
    assert all(store.ttl(k) > 0 for k in store.keys("ct:ticket:*")), "tickets never used expire"
    store.close()
    queue_redis.close()
