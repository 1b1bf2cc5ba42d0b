"""The RQ jobs. The API enqueues them by import path (see `service.queue`)."""
from __future__ import annotations

from dataclasses import asdict
from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.job import Job

from service.config import Config
from service.store import Store

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
    """RQ failure callback: runs after every failed attempt, before RQ decides on a retry."""
    record_failure(store_for(connection), job, describe_failure(exc_type, exc_value))
