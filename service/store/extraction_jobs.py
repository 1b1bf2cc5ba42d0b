"""An article's way through its extraction job: stored with its job, picked up, failed or
retried, and found again by reconciliation when its job was lost.

A mixin of `Store`. Each step is one transaction that WATCHes the article, so that a job run
twice, or a retry racing a worker, acts once. An article is stored with its job in one
MULTI/EXEC, so an acknowledged article always has a job; the pending index says since when an
article has waited, which is how reconciliation tells a slow job from a lost one. Storing what
the job found is `claim_saving.py`.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.client import Pipeline

from . import records
from .articles import revision_entry
from .base import transaction
from .layout import Keys, epoch_ms, is_id, new_id, utcnow

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class DedupKey:
    """One way of recognising an article that was posted before."""

    kind: str  # "ext", "url" or "idem"
    fingerprint: str
    ttl: int | None = None


def _s(value: Any) -> str:
    return "" if value is None else str(value)


class ExtractionJobStore:
    """Articles into, through and back onto the extraction queue (mixed into `Store`)."""

    # -- queueing -----------------------------------------------------------------------------

    def create_article(
        self: "Store",
        fields: Mapping[str, Any],
        dedup: Sequence[DedupKey],
        enqueue: Callable[[Pipeline, str], None],
        by: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store a new article and queue its extraction job in the same transaction.

        Returns ``(article, queued)``. When any dedup key already names an article, that
        article is returned and nothing is written or queued; except that an `external_id`
        posted again with a different text is a correction of that article (see
        `revise_article`). WATCH on the dedup keys makes two simultaneous posts of the same
        article create it once.
        """
        dedup_keys = [Keys.dedup(d.kind, d.fingerprint) for d in dedup]
        aid = new_id("art")
        now = utcnow()
        record = {k: _s(v) for k, v in fields.items() if v is not None}
        record.update(id=aid, status="queued", claim_count="0", created_at=now, attempts="0", revision="1",
                      updated_at=now, dedup=" ".join(dedup_keys))
        score = self._listing_score(now)
        record["score"] = str(score)
        emitter = self._emitter()

        def body(pipe: Pipeline) -> tuple[Any, ...] | None:
            if dedup_keys:
                pipe.watch(*dedup_keys)
                for d, existing in zip(dedup, pipe.mget(dedup_keys)):
                    article = self.get_article(existing) if existing else None
                    if article is not None:
                        pipe.unwatch()
                        if d.kind == "ext" and article["text"] != record.get("text", ""):
                            return ("revise", article["id"])
                        return article, False
            pipe.multi()
            pipe.hset(Keys.article(aid), mapping=record)
            pipe.zadd(Keys.pending, {aid: epoch_ms(now)})
            self._index_article(pipe, aid, score, {}, record)
            for d, key in zip(dedup, dedup_keys):
                pipe.set(key, aid, ex=d.ttl)
            pipe.rpush(Keys.revisions(aid), revision_entry(1, now, by, record.get("text", "")))
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid})
            pipe.execute()
            return None

        existing = transaction(self.redis, body, self.before_exec, "create_article")
        if existing is not None and existing[0] == "revise":
            others = [d for d in dedup if d.kind != "idem"]
            return self.revise_article(existing[1], fields, by or "", enqueue, others)
        if existing is not None:
            return existing
        return records.article(record), True

    def requeue_article(
        self: "Store", aid: str, enqueue: Callable[[Pipeline, str], None], stuck_after: float | None = None,
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
        emitter = self._emitter()

        def body(pipe: Pipeline) -> bool | None:
            pipe.watch(key)
            status, score, job = pipe.hmget(key, "status", "score", "job")
            if status != "failed" and not self._stuck(pipe, aid, status, job, stuck_after, job_is_live):
                pipe.unwatch()
                return None if status is None else False
            pipe.multi()
            self._set_status(pipe, aid, score, status, "queued")
            pipe.hset(key, mapping={"error": "", "processed_at": ""})
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid, "retry": True})
            pipe.execute()
            return True

        requeued = transaction(self.redis, body)
        if requeued is None:
            return None
        article = self.get_article(aid)
        assert article is not None
        return article, requeued

    # -- reconciliation (service.queue.reconcile) --------------------------------------------

    @staticmethod
    def remember_job(pipe: Pipeline, aid: str, job_id: str) -> None:
        """Record the article's current extraction job (in the enqueueing transaction), so
        that reconciliation can ask RQ whether it still holds it."""
        pipe.hset(Keys.article(aid), "job", job_id)

    def text_length(self: "Store", aid: str) -> int:
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

    def pending_articles(self: "Store", older_than: float, limit: int = 500) -> list[str]:
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

    def _drop_pending(self: "Store", aid: str, cutoff: float) -> None:
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

        transaction(self.redis, body)

    # -- the job's progress -------------------------------------------------------------------

    def start_processing(self: "Store", aid: str) -> tuple[str, int] | None:
        """Mark an article as being processed; returns its text and revision, or None when
        there is nothing to do (unknown or taken-down article, or already done by an earlier
        run of the job). The job hands the revision back to `save_claims`, which refuses to
        store claims of a text that was corrected meanwhile."""
        key = Keys.article(aid)

        def body(pipe: Pipeline) -> tuple[str, int] | None:
            pipe.watch(key)
            status, text, revision, score = pipe.hmget(key, "status", "text", "revision", "score")
            if status is None or status == "done":
                pipe.unwatch()
                return None
            pipe.multi()
            self._set_status(pipe, aid, score, status, "processing")
            pipe.hincrby(key, "attempts", 1)
            pipe.execute()
            return text or "", int(revision or 1)

        return transaction(self.redis, body)

    def set_article_status(self: "Store", aid: str, status: str, error: str = "") -> None:
        """Record a failure or a pending retry; never touches an article that is done."""
        key = Keys.article(aid)
        emitter = self._emitter() if status == "failed" else None

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
            self._set_status(pipe, aid, score, old, status)
            pipe.hset(key, mapping=mapping)
            if emitter is not None:
                emitter.emit(pipe, "article.failed", {"article_id": aid, "error": error})
            pipe.execute()

        transaction(self.redis, body)
