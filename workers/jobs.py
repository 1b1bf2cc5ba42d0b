"""The RQ jobs. The API enqueues them by import path (see `service.queue`)."""
from __future__ import annotations

from dataclasses import asdict
from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.job import Job
from rq.timeouts import JobTimeoutException

from service.config import Config
from service.store import Store, utcnow

from . import model
from .extraction import extract_claims, extractor_version

_stores: list[tuple[Redis, Store]] = []


def store_for(connection: Redis) -> Store:
    """The store over `connection`'s server, made once per connection: a work horse runs
    many jobs, and a new store per job would open a new Redis connection per job."""
    if not _stores or _stores[0][0] is not connection:
        _stores[:] = [(connection, Store.for_connection(connection, Config.from_env().store_options()))]
    return _stores[0][1]


def extract_article(article_id: str) -> dict[str, Any]:
    """Find an article's claims and store them with the article marked done.

    Safe to run more than once for the same article: the store writes the claims and the
    `done` status in one transaction and refuses to do it twice, so a retry after a crash
    never duplicates claims.
    """
    job = get_current_job()
    assert job is not None, "extract_article runs inside an RQ job"
    store = store_for(job.connection)
    started = store.start_processing(article_id)
    if started is None:
        return {"article_id": article_id, "skipped": True}
    text, revision = started
    nlp = model.nlp()
    claims = extract_claims(text, nlp)
    stored = store.save_claims(article_id, [asdict(claim) for claim in claims], revision=revision,
                               extractor_version=extractor_version(nlp))
    return {"article_id": article_id, "revision": revision, "claims": len(claims), "stored": stored}


def describe_failure(exc_type: type[BaseException] | None, exc_value: BaseException | None) -> str:
    name = exc_type.__name__ if exc_type else "Error"
    detail = str(exc_value).strip().splitlines()[0][:300] if exc_value and str(exc_value).strip() else ""
    return f"{name}: {detail}" if detail else name


def record_failure(store: Store, job: Job, error: str) -> None:
    """Tell the article's readers what happened: retrying (status back to queued) or failed."""
    article_id = job.args[0] if job.args else None
    if not isinstance(article_id, str):
        return
    if job.retries_left:
        store.set_article_status(article_id, "queued", f"{error} (will be retried)")
    else:
        store.set_article_status(article_id, "failed", error)


def on_extract_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ failure callback: runs after every failed attempt, before RQ decides on a retry.

    A timeout is deterministic more often than not (the same text takes as long again), so
    a job that timed out is retried once at most, however many retries it had left.
    """
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        job.retries_left = min(job.retries_left or 0, 1)
    record_failure(store_for(connection), job, describe_failure(exc_type, exc_value))


def record_lost_delivery(store: Store, job: Job, error: str) -> None:
    """Log a webhook delivery attempt that ended without the delivery function recording
    it: its work horse or worker died, or RQ's job timeout stopped it."""
    if len(job.args) < 2 or not isinstance(job.args[1], dict):
        return
    webhook_id, event = job.args[0], job.args[1]
    attempt = int(job.get_meta(refresh=True).get("attempts") or 0) or 1
    store.record_delivery(webhook_id, {
        "delivery_id": str(job.meta.get("delivery_id") or job.id), "event_id": event.get("id"), "event_type": event.get("type"), "at": utcnow(),
        "attempt": attempt, "status_code": None, "ok": False, "error": error, "duration_ms": None})


def on_delivery_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ failure callback of delivery jobs. A failure the delivery function reported
    itself is already in the log; a timeout (RQ's, raised in the job) and an abandoned job
    (its worker died: RQ's registry cleanup) are recorded here."""
    name = exc_type.__name__ if exc_type is not None else ""
    if name == "JobTimeoutException":
        record_lost_delivery(store_for(connection), job, "timeout")
        if job.args and isinstance(job.args[0], str):
            store_for(connection).note_receiver(job.args[0], timed_out=True)
    elif name == "AbandonedJobError":
        record_lost_delivery(store_for(connection), job, "the worker died during the delivery")
