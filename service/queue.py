"""How the API hands an article to the workers.

The job is named by its import path, so the API never imports the extraction code (or
spaCy). Jobs use RQ's JSON serializer so that a job record is readable and cannot carry
pickled code.
"""
from __future__ import annotations

import secrets

from redis import Redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from .config import Config

EXTRACT_JOB = "workers.jobs.extract_article"
FAILURE_CALLBACK = "workers.jobs.on_extract_failure"


def extraction_queue(connection: Redis, config: Config) -> Queue:
    """`connection` must not decode responses: RQ stores bytes."""
    return Queue(config.queue_name, connection=connection, serializer=JSONSerializer)


def enqueue_extraction(queue: Queue, config: Config, article_id: str, pipeline: Pipeline | None = None) -> Job:
    """Queue one extraction of `article_id`; with `pipeline`, only when it is executed."""
    retry = None
    if config.job_retries:
        intervals = list(config.retry_intervals[: config.job_retries]) or [0]
        retry = Retry(max=config.job_retries, interval=intervals)
    return queue.enqueue(
        EXTRACT_JOB,
        article_id,
        job_id=f"extract-{article_id}-{secrets.token_hex(4)}",
        job_timeout=config.job_timeout,
        retry=retry,
        on_failure=Callback(FAILURE_CALLBACK),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=f"extract claims from {article_id}",
        pipeline=pipeline,
    )
