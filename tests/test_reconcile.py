"""Reconciliation: the service's own record of each article against RQ's queue and registries.

A job can vanish with a killed worker (before this fix, a surviving child of the worker
read the next job id off the worker's socket). Whatever the cause, an article `queued` or
`processing` for longer than CLAIMTRACK_RECONCILE_AFTER whose job RQ no longer holds is
queued again, once, and ends `done` with its claims stored once.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue
from rq.executions import Execution
from rq.scheduler import RQScheduler

from helpers import headers, stored_claim_count
from service.queue import extraction_queue, reconcile
from service.store import Keys
from workers import model
from workers.worker import build_worker

TEXT = '"The bridge will open in May," said Maria Okafor, the governor of Lakeshore.\n'


@pytest.fixture(scope="module", autouse=True)
def preloaded_model():
    return model.preload(None)


@pytest.fixture
def queue(store, config) -> Queue:
    return extraction_queue(store.raw, config)


def post(client) -> str:
    response = client.post("/v1/articles", json={"text": TEXT}, headers=headers("ingest"))
    assert response.status_code == 202
    return response.json["id"]


def job_of(redis, aid: str) -> str:
    job_id = redis.hget(Keys.article(aid), "job")
    assert job_id
    return job_id


def lose_job(redis, queue: Queue, aid: str) -> None:
    """What the orphaned BLPOP did: the job id leaves the queue (on the queue Redis) and goes
    nowhere."""
    assert queue.connection.lrem(queue.key, 0, job_of(redis, aid)) == 1


def age(redis, aid: str, seconds: float) -> None:
    """Make the article pending since `seconds` ago (instead of sleeping that long)."""
    redis.zadd(Keys.pending, {aid: int((time.time() - seconds) * 1000)})


def test_a_lost_job_is_queued_again_once_after_the_bound_and_the_article_ends_done(
        client, store, config, redis, queue):
    aid = post(client)
    lost = job_of(redis, aid)
    lose_job(redis, queue, aid)
    assert reconcile(store, queue, config) == [], "not before the bound"
    age(redis, aid, config.reconcile_after + 1)
    assert reconcile(store, queue, config) == [aid]
    job = job_of(redis, aid)
    assert job != lost and queue.get_job_ids() == [job]
    assert reconcile(store, queue, config) == [], "the new job is live: nothing more is queued"
    age(redis, aid, config.reconcile_after + 1)
    assert reconcile(store, queue, config) == [], "still live however old"
    assert build_worker(config).work(burst=True, logging_level="WARNING")
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done" and article["claim_count"] == 1
    assert stored_claim_count(redis) == 1
    age(redis, aid, config.reconcile_after + 1)
    assert reconcile(store, queue, config) == []
    assert redis.zscore(Keys.pending, aid) is None, "a finished article leaves the pending index"


def test_jobs_in_any_rq_registry_are_live(client, store, config, redis, queue):
    aid = post(client)
    job_id = job_of(redis, aid)
    lose_job(redis, queue, aid)
    age(redis, aid, config.reconcile_after + 1)
    job = queue.fetch_job(job_id)

    queue.scheduled_job_registry.schedule(job, datetime.now(timezone.utc) + timedelta(seconds=60))
    assert reconcile(store, queue, config) == [], "a retry waiting for its back-off"
    queue.scheduled_job_registry.remove(job)

    queue.deferred_job_registry.add(job, ttl=600)
    assert reconcile(store, queue, config) == [], "a deferred job"
    queue.deferred_job_registry.remove(job)

    execution = Execution("exec-1", job.id, connection=store.raw)
    with store.raw.pipeline() as pipe:
        queue.started_job_registry.add_execution(execution, pipeline=pipe, ttl=600)
        pipe.execute()
    assert reconcile(store, queue, config) == [], "a running job"
    store.raw.zrem(queue.started_job_registry.key, execution.composite_key)

    store.raw.rpush(queue.intermediate_queue_key, job.id)
    assert reconcile(store, queue, config) == [], "a job a worker is fetching"
    store.raw.delete(queue.intermediate_queue_key)

    assert reconcile(store, queue, config) == [aid]


def test_a_processing_article_whose_job_vanished_is_requeued(client, store, config, redis, queue):
    aid = post(client)
    lose_job(redis, queue, aid)
    assert store.jobs.start_processing(aid) == (TEXT, 1)
    age(redis, aid, config.reconcile_after + 1)
    assert reconcile(store, queue, config) == [aid]
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"] == "queued"


def test_retry_accepts_an_article_stuck_beyond_the_bound(client, store, config, redis, queue):
    aid = post(client)
    assert client.post(f"/v1/articles/{aid}/retry", headers=headers("ingest")).status_code == 409
    lose_job(redis, queue, aid)
    assert client.post(f"/v1/articles/{aid}/retry", headers=headers("ingest")).status_code == 409, \
        "not before the bound"
    age(redis, aid, config.reconcile_after + 1)
    response = client.post(f"/v1/articles/{aid}/retry", headers=headers("ingest"))
    assert response.status_code == 202 and response.json["status"] == "queued"
    assert queue.get_job_ids() == [job_of(redis, aid)]
    age(redis, aid, config.reconcile_after + 1)
    assert client.post(f"/v1/articles/{aid}/retry", headers=headers("ingest")).status_code == 409, \
        "its new job is live"


def test_every_extraction_worker_reconciles_in_its_maintenance_pass(client, store, config, redis, queue):
    aid = post(client)
    lose_job(redis, queue, aid)
    age(redis, aid, config.reconcile_after + 1)
    build_worker(config, serve="extraction").run_maintenance_tasks()
    assert queue.get_job_ids() == [job_of(redis, aid)]
    build_worker(config, serve="webhooks").run_maintenance_tasks()
    assert len(queue.get_job_ids()) == 1


def test_a_retry_whose_time_passed_long_ago_is_queued_again(client, store, config, redis, queue):
    """What a killed worker leaves: RQ scheduled its abandoned job's retry, but the only
    scheduler allowed to queue it was the dead worker's, whose lock outlives it by a minute."""
    aid = post(client)
    job = queue.fetch_job(job_of(redis, aid))
    lose_job(redis, queue, aid)
    age(redis, aid, config.reconcile_after + 1)
    queue.connection.set(RQScheduler.get_locking_key(queue.name), "a-dead-scheduler")

    queue.scheduled_job_registry.schedule(job, datetime.now(timezone.utc) - timedelta(seconds=1))
    assert reconcile(store, queue, config) == [], "a retry just due: the scheduler has time to queue it"
    queue.scheduled_job_registry.schedule(
        job, datetime.now(timezone.utc) - timedelta(seconds=config.reconcile_after + 1))
    assert reconcile(store, queue, config) == [aid]
    assert queue.get_job_ids() == [job_of(redis, aid)]
    assert build_worker(config).work(burst=True, logging_level="WARNING")
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"] == "done"


def test_a_running_job_whose_heartbeats_stopped_long_ago_is_queued_again(client, store, config, redis, queue):
    """A job RQ's cleaner should have retried, when the worker holding the cleaning lock was
    killed mid-cleaning (the lock then stays for 15 minutes)."""
    aid = post(client)
    job = queue.fetch_job(job_of(redis, aid))
    lose_job(redis, queue, aid)
    assert store.jobs.start_processing(aid) == (TEXT, 1)
    age(redis, aid, config.reconcile_after + 1)
    started = queue.started_job_registry
    execution = Execution("exec-1", job.id, connection=store.raw)

    store.raw.zadd(started.key, {execution.composite_key: time.time() - 1})
    assert reconcile(store, queue, config) == [], "heartbeats just lapsed: RQ's cleaner retries it"
    store.raw.zadd(started.key, {execution.composite_key: time.time() - config.reconcile_after - 1})
    assert reconcile(store, queue, config) == [aid]
    assert build_worker(config).work(burst=True, logging_level="WARNING")
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done" and article["claim_count"] == 1
