"""The store and the job queues on two Redis servers (CLAIMTRACK_QUEUE_URL).

Records live only in the store's Redis, RQ's jobs, workers and registries only in the queue's;
an article posted is extracted by a real RQ worker all the same. A job the API could not queue
(the queue Redis down at that moment) is queued by reconciliation once it is back.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis

from helpers import RedisServer, headers
from service import create_app
from service.config import Config
from service.pipeline import read as read_pipeline
from service.queue import extraction_queue, reconcile
from service.runtime import EXTENSION
from service.store import Keys, Repositories
from workers import model
from workers.worker import build_worker

TEXT = ('"The bridge will open in May," said Maria Okafor, the governor of Lakeshore. '
        "Okafor said that the tolls would stay as they are.\n")


@pytest.fixture(scope="module", autouse=True)
def preloaded_model():
    return model.preload(None)


@pytest.fixture
def queue_redis(queue_server: RedisServer) -> Iterator[Redis]:
    client = Redis.from_url(queue_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def split_config(config: Config, queue_server: RedisServer, queue_redis: Redis) -> Config:
    return config.replace(queue_url=queue_server.url)


@pytest.fixture
def split_app(split_config: Config) -> Flask:
    return create_app(split_config)


def repos_of(app: Flask) -> Repositories:
    return app.extensions[EXTENSION].repos


def post(app: Flask, text: str = TEXT) -> str:
    response = app.test_client().post("/v1/articles", json={"text": text}, headers=headers("ingest"))
    assert response.status_code == 202, response.json
    return response.json["id"]


def work(config: Config) -> None:
    assert build_worker(config).work(burst=True, logging_level="WARNING")


def test_records_go_to_the_store_and_jobs_to_the_queue_redis(split_app, split_config, redis, queue_redis):
    aid = post(split_app)
    assert not repos_of(split_app).conn.queue_shared
    job_id = redis.hget(Keys.article(aid), "job")
    assert job_id and queue_redis.exists(f"rq:job:{job_id}")
    assert not redis.keys("rq:*"), "RQ wrote to the store's Redis"

    work(split_config)

    client = split_app.test_client()
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done", article
    claims = client.get(f"/v1/articles/{aid}/claims", headers=headers("read")).json["items"]
    assert article["claim_count"] == len(claims) >= 2
    assert {c["speaker"]["name"] for c in claims} == {"Maria Okafor"}
    assert all(redis.exists(Keys.claim(c["id"])) for c in claims)
    assert not queue_redis.keys("ct:*"), "a record was written to the queue's Redis"
    assert not redis.keys("rq:*")
    assert queue_redis.keys("rq:worker*") or queue_redis.keys("rq:workers*")


def test_status_reads_rq_from_the_queue_redis_and_counts_from_the_store(split_app, split_config, queue_redis):
    repos = repos_of(split_app)
    post(split_app)
    post(split_app, TEXT.replace("May", "June"))
    state = read_pipeline(repos, split_config)
    extraction = next(q for q in state.queues if q.name == split_config.queue_name)
    assert extraction.depth == 2
    assert state.articles["queued"] == 2
    assert state.verdict == "stalled"  # two jobs waiting, no worker
    body = split_app.test_client().get("/v1/status", headers=headers("admin")).json
    assert next(q for q in body["queues"] if q["name"] == split_config.queue_name)["depth"] == 2


def test_webhook_deliveries_are_queued_on_the_queue_redis(split_config, redis, queue_redis):
    split_app = create_app(split_config.replace(webhook_allow_hosts="127.0.0.1"))
    client = split_app.test_client()
    created = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["article.queued"]},
                          headers=headers("admin"))
    assert created.status_code == 201, created.json
    post(split_app)
    delivery_queue = repos_of(split_app).webhooks.delivery_queue
    assert delivery_queue.count == 1
    assert queue_redis.llen(delivery_queue.key) == 1
    assert not redis.keys("rq:*")


def test_readiness_needs_both_redis(split_config, queue_server):
    app = create_app(split_config)
    assert app.test_client().get("/readyz").status_code == 200
    down = create_app(split_config.replace(queue_url=split_config.redis_url.rsplit(":", 1)[0] + ":1/0",
                                           redis_socket_timeout=0.5))
    assert down.test_client().get("/readyz").status_code == 503


def test_a_job_the_queue_redis_missed_is_queued_by_reconciliation(split_config, queue_server, redis, queue_redis):
    """The article is stored (and acknowledged) while the queue Redis is down; its job
    never reached RQ. Once the queue is back, reconciliation queues it and it ends done."""
    app = create_app(split_config.replace(redis_socket_timeout=0.5))
    queue_server.kill()
    try:
        aid = post(app)
    finally:
        queue_server.start()
    assert redis.hget(Keys.article(aid), "status") == "queued"
    repos = repos_of(app)
    queue = extraction_queue(repos.raw, split_config)
    assert queue.count == 0
    assert reconcile(repos, queue, split_config) == []  # not overdue yet: could still be on its way
    redis.zadd(Keys.pending, {aid: int((time.time() - split_config.reconcile_after - 1) * 1000)})
    assert reconcile(repos, queue, split_config) == [aid]
    assert queue.count == 1
    work(split_config)
    assert redis.hget(Keys.article(aid), "status") == "done"
    assert int(redis.hget(Keys.article(aid), "claim_count")) >= 2
