"""How the API hands an article to the workers.

The job is named by its import path, so the API never imports the extraction code (or
spaCy). Jobs use RQ's JSON serializer so that a job record is readable and cannot carry
pickled code.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import Callback, Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from .config import Config
from .store.base import after_commit

if TYPE_CHECKING:
    from .store import Repositories

EXTRACT_JOB = "workers.jobs.extract_article"
FAILURE_CALLBACK = "workers.jobs.on_extract_failure"

log = logging.getLogger("claimtrack.queue")


def extraction_queue(connection: Redis, config: Config) -> Queue:
    """`connection` must not decode responses: RQ stores bytes."""
    return Queue(config.queue_name, connection=connection, serializer=JSONSerializer)


def job_timeout(config: Config, chars: int) -> int:
    """An article's time budget: CLAIMTRACK_JOB_TIMEOUT plus CLAIMTRACK_JOB_TIMEOUT_PER_1K_CHARS
    seconds per 1,000 characters of text. Extraction time is linear in the text (bench/
    extraction.py, pathological cases), so a long article gets the time it needs and a short
    one cannot hold a worker for long."""
    return config.job_timeout + -(-max(chars, 0) * config.job_timeout_per_1k_chars // 1000)


def extraction_retry(config: Config) -> Retry | None:
    """RQ's retries of a failed extraction: CLAIMTRACK_JOB_RETRIES of them, each after its
    CLAIMTRACK_RETRY_INTERVALS back-off (None when retries are off)."""
    if not config.job_retries:
        return None
    intervals = list(config.retry_intervals[: config.job_retries]) or [0]
    return Retry(max=config.job_retries, interval=intervals)


def extraction_job_id(article_id: str) -> str:
    return f"extract-{article_id}-{secrets.token_hex(4)}"


def enqueue_extraction(queue: Queue, config: Config, article_id: str, chars: int = 0,
                       pipeline: Pipeline | None = None, job_id: str | None = None) -> Job:
    """Queue one extraction of `article_id` (whose text has `chars` characters); with
    `pipeline`, only when it is executed."""
    return queue.enqueue(
        EXTRACT_JOB,
        article_id,
        job_id=job_id or extraction_job_id(article_id),
        job_timeout=job_timeout(config, chars),
        retry=extraction_retry(config),
        on_failure=Callback(FAILURE_CALLBACK),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=f"extract claims from {article_id}",
        pipeline=pipeline,
    )


def enqueuer(queue: Queue, config: Config, repos: Repositories, chars: int | None = None) -> Callable[[Pipeline, str], str]:
    """The callback the store's article transactions queue an extraction with: it records
    the job's id on the article (for reconciliation) and queues the job, on the transaction's
    pipeline when the queue shares the store's server, or else once the transaction has
    committed (`after_commit`). Returns the job's id.

    In the second case a process killed between the commit and the enqueue leaves an article
    `queued` whose job RQ never had; reconciliation queues it again after
    CLAIMTRACK_RECONCILE_AFTER seconds, as it does for a job lost with a worker. A queue
    Redis that fails at that moment is logged and left to reconciliation too: the article is
    stored, and the client's answer says so. `chars` is the length of the text the job will
    read, when that text is not stored yet (a new article, a correction); otherwise the stored
    text's length."""
    def enqueue(pipe: Pipeline, aid: str) -> str:
        length = repos.jobs.text_length(aid) if chars is None else chars
        job_id = extraction_job_id(aid)
        queue_with_article(pipe, repos, aid, job_id, lambda pipeline: enqueue_extraction(
            queue, config, aid, length, pipeline=pipeline, job_id=job_id))
        return job_id
    return enqueue


def queue_with_article(pipe: Pipeline, repos: Repositories, aid: str, job_id: str,
                       put: Callable[[Pipeline | None], object]) -> None:
    """Queue article `aid`'s job `job_id` through `put`, which queues it on the pipeline it is
    given (None: at once): on the article transaction's `pipe` when the queue shares the
    store's server, so that the two commit together, or else once that transaction has
    committed (`after_commit`; see `enqueuer` for what finishes a job lost in between). The
    job's id is recorded on the article either way, for reconciliation."""
    if repos.conn.queue_shared:
        put(pipe)
    else:
        after_commit(pipe, lambda: _enqueue_later(put, aid))
    repos.jobs.remember_job(pipe, aid, job_id)


def _enqueue_later(put: Callable[[Pipeline | None], object], aid: str) -> None:
    try:
        put(None)
    except RedisError as failure:
        log.warning("could not queue the extraction of %s (reconciliation will): %s", aid, failure)


def job_is_live(queue: Queue, job_id: str, overdue_after: float) -> bool:
    """Whether RQ still holds the job somewhere it will run from: waiting in the queue (or
    in the list a worker moves it to while fetching it), running, scheduled for a retry,
    or deferred. A job id in none of them will never run.

    A registry entry that RQ's own recovery should have acted on more than `overdue_after`
    seconds ago counts as lost too, because that recovery is itself run by a process that
    may have died holding a lock: a retry whose time has come is queued only by the one
    scheduler holding the queue's scheduler lock (a killed worker's scheduler keeps it for
    a minute), and a running job whose heartbeats stopped is retried only by the worker
    holding the queue's cleaning lock (kept for 15 minutes if that worker is killed
    mid-cleaning). Queuing such an article again is safe: a job run twice stores the
    claims once.
    """
    connection = queue.connection
    if connection.lpos(queue.key, job_id) is not None:
        return True
    if connection.lpos(queue.intermediate_queue_key, job_id) is not None:
        return True
    if job_id in queue.deferred_job_registry:
        return True
    cutoff = time.time() - overdue_after
    started = queue.started_job_registry
    # Entries are scored with the time their heartbeat lapses; one per execution.
    beating = connection.zrangebyscore(started.key, cutoff, "+inf")
    if any(started.parse_job_id(entry) == job_id for entry in beating):
        return True
    try:
        due = queue.scheduled_job_registry.get_scheduled_time(job_id)
    except NoSuchJobError:
        return False
    return due.timestamp() > cutoff


def reconcile(repos: Repositories, queue: Queue, config: Config) -> list[str]:
    """Queue again every article left `queued` or `processing` for more than
    CLAIMTRACK_RECONCILE_AFTER seconds whose job RQ no longer holds; returns their ids.

    The safety net under RQ's own recovery: it reads only the service's record of each
    article and public queue and registry contents, so a job lost in any way (a worker
    killed mid-fetch, a registry entry dropped) is run again. Safe to run from any number of
    processes at once: the requeue is one transaction per article, and a job run twice
    stores the claims once.
    """
    enqueue = enqueuer(queue, config, repos)
    requeued = []
    for aid in repos.jobs.pending(config.reconcile_after):
        result = repos.jobs.requeue(aid, enqueue, stuck_after=config.reconcile_after,
                                       job_is_live=lambda job_id: job_is_live(queue, job_id, config.reconcile_after))
        if result is not None and result[1]:
            requeued.append(aid)
    return requeued
