"""A job for the crash tests, imported by real worker processes (tests/ on PYTHONPATH).

It is the real extraction job behind a gate: each run announces itself (with its process
id) and waits until the test opens that run's own gate, so a test kills a work horse at a
known point of a job, however fast the machine is, and a dead run's gate is never opened.
"""
from __future__ import annotations

import os
from typing import Any

from rq import Callback, Queue, Retry, get_current_job

from service.queue import FAILURE_CALLBACK, queue_with_article
from service.store import Repositories
from workers.jobs import extract_article


def started_key(article_id: str) -> str:
    return f"test:started:{article_id}"


def gate_key(article_id: str, run: int) -> str:
    return f"test:gate:{article_id}:{run}"


def gated_extract(article_id: str) -> dict[str, Any]:
    job = get_current_job()
    assert job is not None
    run = job.connection.rpush(started_key(article_id), os.getpid())
    job.connection.blpop([gate_key(article_id, run)], timeout=0)
    return extract_article(article_id)


def post_gated(store: Repositories, queue: Queue, text: str, retry: Retry, timeout: int = 300) -> str:
    """An article whose job is the gated extraction, recorded as the article's job as the
    service's own enqueueing does (`queue_with_article`: in the article's transaction when the
    queue shares the store's server, or else once it has committed)."""
    def enqueue(pipe, aid: str) -> str:
        job_id = f"gated-{aid}"
        queue_with_article(pipe, store, aid, job_id, lambda pipeline: queue.enqueue(
            "crash_jobs.gated_extract", aid, job_id=job_id, job_timeout=timeout, retry=retry,
            on_failure=Callback(FAILURE_CALLBACK), pipeline=pipeline))
        return job_id

    article, created = store.articles.create({"text": text}, [], enqueue)
    assert created
    return article["id"]


def run_count(redis, article_id: str) -> int:
    """Runs of the article's gated job that have started."""
    return redis.llen(started_key(article_id))


def open_gate(redis, article_id: str, run: int) -> None:
    redis.rpush(gate_key(article_id, run), "go")


def save_gate_key(article_id: str) -> str:
    return f"test:save-gate:{article_id}"


def save_started_key(article_id: str) -> str:
    return f"test:save-started:{article_id}"


def save_gated_extract(article_id: str) -> dict[str, Any]:
    """The real extraction job, whose first save stops between its reads and its writes
    (holding what it read) until the test opens the gate: `save_started_key` says it is there.
    Later runs, and the save's own retries, go straight on."""
    from workers.context import repositories

    job = get_current_job()
    assert job is not None
    conn = repositories().conn
    first = job.connection.llen(save_started_key(article_id)) == 0

    def gate(name: str) -> None:
        nonlocal first
        if name == "save_claims" and first:
            first = False
            job.connection.rpush(save_started_key(article_id), os.getpid())
            job.connection.blpop([save_gate_key(article_id)], timeout=0)
    conn.before_exec = gate
    try:
        return extract_article(article_id)
    finally:
        conn.before_exec = None
