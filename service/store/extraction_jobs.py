"""An article's way through its extraction job: picked up, failed or retried, and found
again by reconciliation when its job was lost.

Each step is one transaction that WATCHes the article, so that a job run twice, or a retry
racing a worker, acts once. An article is stored with its job in one MULTI/EXEC
(`ArticleRepository.create`), so an acknowledged article always has a job; the pending index
says since when an article has waited, which is how reconciliation tells a slow job from a
lost one. Storing what the job found is `ClaimRepository.save`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from redis.client import Pipeline

from . import article_index, records
from .connection import Connection
from .events import Feed
from .layout import Keys
from .values import is_id, utcnow


class ExtractionJobs:
    """The article records an extraction job and reconciliation read and write."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    def requeue(
        self, aid: str, enqueue: Callable[[Pipeline, str], None], stuck_after: float | None = None,
        job_is_live: Callable[[str], bool] | None = None,
    ) -> tuple[dict[str, Any], bool] | None:
        """Queue an article again, with its new job, in one transaction.

        Returns ``(article, requeued)``. A `failed` article is requeued; so is one `queued`
        or `processing` for more than `stuck_after` seconds whose job `job_is_live` says is
        in none of RQ's queues and registries (a job lost with a killed worker). Any other
        article is left alone. None for an unknown article.
        """
        if not is_id("art", aid):
            return None
        key = Keys.article(aid)
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> bool | None:
            pipe.watch(key)
            status, score, job = pipe.hmget(key, "status", "score", "job")
            if status != "failed" and not self._stuck(pipe, aid, status, job, stuck_after, job_is_live):
                pipe.unwatch()
                return None if status is None else False
            pipe.multi()
            article_index.set_status(pipe, aid, score, status, "queued")
            pipe.hset(key, mapping={"error": "", "processed_at": ""})
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid, "retry": True})
            pipe.execute()
            return True

        requeued = self.conn.transaction(body)
        if requeued is None:
            return None
        article = records.article(self.redis.hgetall(Keys.article(aid)))
        return article, requeued

    # -- reconciliation (service.queue.reconcile) --------------------------------------------

    @staticmethod
    def remember_job(pipe: Pipeline, aid: str, job_id: str) -> None:
        """Record the article's current extraction job (in the enqueueing transaction), so
        that reconciliation can ask RQ whether it still holds it."""
        pipe.hset(Keys.article(aid), "job", job_id)

    def text_length(self, aid: str) -> int:
        """Characters of the article's text (its time budget grows with it)."""
        return int(self.redis.hstrlen(Keys.article(aid), "text")) if is_id("art", aid) else 0

    @staticmethod
    def _stuck(pipe: Pipeline, aid: str, status: str | None, job: str | None, stuck_after: float | None,
               job_is_live: Callable[[str], bool] | None) -> bool:
        if stuck_after is None or status not in ("queued", "processing"):
            return False
        since = pipe.zscore(Keys.pending, aid)
        if since is not None and since > time.time() * 1000 - stuck_after * 1000:
            return False
        return not (job and job_is_live is not None and job_is_live(job))

    def pending(self, older_than: float, limit: int = 500) -> list[str]:
        """Articles `queued` or `processing` since more than `older_than` seconds, oldest
        first. Entries of articles that have since finished (done, failed, taken down) are
        dropped from the pending index on the way."""
        cutoff = time.time() * 1000 - older_than * 1000
        ids = self.redis.zrangebyscore(Keys.pending, "-inf", cutoff, start=0, num=limit)
        if not ids:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hget(Keys.article(aid), "status")
            statuses = pipe.execute()
        for aid, status in zip(ids, statuses):
            if status not in ("queued", "processing"):
                self._drop_pending(aid, cutoff)
        return [aid for aid, status in zip(ids, statuses) if status in ("queued", "processing")]

    def _drop_pending(self, aid: str, cutoff: float) -> None:
        """Drop a finished article's entry, unless it was queued again meanwhile."""
        key = Keys.article(aid)

        def body(pipe: Pipeline) -> None:
            pipe.watch(key, Keys.pending)
            since = pipe.zscore(Keys.pending, aid)
            if since is None or since > cutoff or pipe.hget(key, "status") in ("queued", "processing"):
                pipe.unwatch()
                return
            pipe.multi()
            pipe.zrem(Keys.pending, aid)
            pipe.execute()

        self.conn.transaction(body)

    # -- the job's progress -------------------------------------------------------------------

    def start_processing(self, aid: str) -> tuple[str, int] | None:
        """Mark an article as being processed; returns its text and revision, or None when
        there is nothing to do (unknown or taken-down article, or already done by an earlier
        run of the job). The job hands the revision back to `ClaimRepository.save`, which refuses to
        store claims of a text that was corrected meanwhile."""
        key = Keys.article(aid)

        def body(pipe: Pipeline) -> tuple[str, int] | None:
            pipe.watch(key)
            status, text, revision, score = pipe.hmget(key, "status", "text", "revision", "score")
            if status is None or status == "done":
                pipe.unwatch()
                return None
            pipe.multi()
            article_index.set_status(pipe, aid, score, status, "processing")
            pipe.hincrby(key, "attempts", 1)
            pipe.execute()
            return text or "", int(revision or 1)

        return self.conn.transaction(body)

    def set_status(self, aid: str, status: str, error: str = "") -> None:
        """Record a failure or a pending retry; never touches an article that is done."""
        key = Keys.article(aid)
        emitter = self.feed.emitter() if status == "failed" else None

        def body(pipe: Pipeline) -> None:
            pipe.watch(key)
            old, score = pipe.hmget(key, "status", "score")
            if old in (None, "done"):
                pipe.unwatch()
                return
            pipe.multi()
            mapping = {"error": error}
            if status == "failed":
                mapping["processed_at"] = utcnow()
            article_index.set_status(pipe, aid, score, old, status)
            pipe.hset(key, mapping=mapping)
            if emitter is not None:
                emitter.emit(pipe, "article.failed", {"article_id": aid, "error": error})
            pipe.execute()

        self.conn.transaction(body)

