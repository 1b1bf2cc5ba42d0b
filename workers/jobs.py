"""The RQ jobs. The API enqueues them by import path (see `service.queue`).

Each job and callback works on the repositories of the worker running it
(`workers.context.repositories()`), never on connections of its own.
"""
from __future__ import annotations

from dataclasses import asdict
from types import TracebackType
from typing import Any

from redis import Redis
from rq.job import Job
from rq.timeouts import JobTimeoutException

from service.store import Repositories, utcnow

from . import model
from .context import config, repositories
from .extraction import extract_claims, extractor_version
from .webhooks import delivery_id


def extract_article(article_id: str) -> dict[str, Any]:
    """Find an article's claims and store them with the article marked done.

    Safe to run more than once for the same article: the store writes the claims and the
    `done` status in one transaction and refuses to do it twice, so a retry after a crash
    never duplicates claims.
    """
    repos = repositories()
    started = repos.jobs.start_processing(article_id)
    if started is None:
        return {"article_id": article_id, "skipped": True}
    text, revision = started
    nlp = model.nlp(config())
    claims = extract_claims(text, nlp)
    stored = repos.claims.save(article_id, [asdict(claim) for claim in claims], revision=revision,
                               extractor_version=extractor_version(nlp))
    if stored:
        # The follow-up step (service/store/search.py); a crash before it is made good by the
        # workers' maintenance pass.
        repos.claims.index_words(article_id)
    return {"article_id": article_id, "revision": revision, "claims": len(claims), "stored": stored}


def describe_failure(exc_type: type[BaseException] | None, exc_value: BaseException | None) -> str:
    name = exc_type.__name__ if exc_type else "Error"
    detail = str(exc_value).strip().splitlines()[0][:300] if exc_value and str(exc_value).strip() else ""
    return f"{name}: {detail}" if detail else name


def record_failure(repos: Repositories, job: Job, error: str) -> None:
    """Tell the article's readers what happened: retrying (status back to queued) or failed."""
    article_id = job.args[0] if job.args else None
    if not isinstance(article_id, str):
        return
    if job.retries_left:
        repos.jobs.set_status(article_id, "queued", f"{error} (will be retried)")
    else:
        repos.jobs.set_status(article_id, "failed", error)


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
    record_failure(repositories(), job, describe_failure(exc_type, exc_value))


def record_lost_delivery(repos: Repositories, job: Job, error: str) -> None:
    """Log a webhook delivery attempt that ended without the delivery function recording
    it: its work horse or worker died, or RQ's job timeout stopped it."""
    if len(job.args) < 2 or not isinstance(job.args[1], dict):
        return
    webhook_id, event = job.args[0], job.args[1]
    attempt = int(job.get_meta(refresh=True).get("attempts") or 0) or 1
    repos.webhooks.record_delivery(webhook_id, {
        "delivery_id": delivery_id(job), "event_id": event.get("id"), "event_type": event.get("type"), "at": utcnow(),
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
        repos = repositories()
        record_lost_delivery(repos, job, "timeout")
        if job.args and isinstance(job.args[0], str):
            repos.webhooks.note_receiver(job.args[0], timed_out=True)
    elif name == "AbandonedJobError":
        record_lost_delivery(repositories(), job, "the worker died during the delivery")
