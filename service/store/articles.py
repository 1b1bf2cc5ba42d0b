"""The articles in Redis: new articles with their extraction job, reading, listing,
corrections (revisions), re-extraction and takedown.

An article's text changes only through `ArticleRepository.revise`, which keeps the replaced
text for `Options.revision_retention` and queues extraction again; the claims found then are
mapped onto the article's earlier claims when they are saved (`claim_saving`), so a verdict
stays with the words it was given to. `delete` removes everything an article brought
(`takedown.py`) and leaves only a tombstone saying who took it down and when. An article's way
through its extraction job is `extraction_jobs.ExtractionJobs`.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.client import Pipeline

from . import records, sharded
from .article_index import (
    METADATA,
    SCORE_SCALE,
    index_article,
    score_of,
    revision_entry,
    set_status,
    watch_live_article,
)
from .base import SCAN_BUDGET, Conflict, Gone, NotFound, Page
from .connection import Connection
from .events import Feed
from .layout import ARTICLE_STATUSES, Keys
from .values import decode_cursor, digest, encode_cursor, epoch_ms, is_id, new_id, utcnow
from .reads import smallest_first
from .takedown import take_down

__all__ = ["ArticleRepository", "DedupKey", "Gone"]


@dataclass(frozen=True)
class DedupKey:
    """One way of recognising an article that was posted before."""

    kind: str  # "ext", "url" or "idem"
    fingerprint: str
    ttl: int | None = None


def _s(value: Any) -> str:
    return "" if value is None else str(value)


class ArticleRepository:
    """Articles: created with their job, read, listed, revised, re-extracted, taken down."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    # -- reading ------------------------------------------------------------------------------

    def get(self, aid: str) -> dict[str, Any] | None:
        if not is_id("art", aid):
            return None
        raw = self.redis.hgetall(Keys.article(aid))
        return records.article(raw) if raw and not raw.get("deleted_at") else None

    def exists(self, aid: str) -> bool:
        """Whether the article exists (and was not taken down), without reading its text."""
        return is_id("art", aid) and self.redis.hget(Keys.article(aid), "status") is not None

    def counts(self) -> dict[str, int]:
        """How many articles are in each status: the sizes of the status indexes, one round trip."""
        return dict(zip(ARTICLE_STATUSES, sharded.sizes(self.redis, [Keys.articles_by_status(s)
                                                                    for s in ARTICLE_STATUSES])))

    # -- listing ------------------------------------------------------------------------------

    def list(self, *, status: str | None = None, source: str | None = None,
                      external_id: str | None = None, url: str | None = None, since: str | None = None,
                      until: str | None = None, cursor: str | None = None, limit: int = 50) -> Page:
        """Articles newest first (without their text), filtered by every criterion given."""
        indexes = []
        if status is not None:
            indexes.append(Keys.articles_by_status(status))
        if source is not None:
            indexes.append(Keys.articles_by_source(source))
        if url is not None:
            indexes.append(Keys.articles_by_url(url))
        if not indexes:
            indexes.append(Keys.articles)
        low = epoch_ms(since) * SCORE_SCALE if since is not None else None
        high = epoch_ms(until) * SCORE_SCALE + SCORE_SCALE - 1 if until is not None else None
        if external_id is not None:
            aid = self.redis.get(Keys.dedup("ext", digest(external_id)))
            if cursor is not None:
                decode_cursor(cursor)
            if not aid or cursor is not None:
                return Page([], None)
            at = self.redis.hget(Keys.article(aid), "score") or 0
            with self.redis.pipeline(transaction=False) as pipe:
                for index in indexes:
                    sharded.score(pipe, index, aid, at)
                scores = pipe.execute()
            if any(s is None for s in scores) or (low is not None and scores[0] < low) \
                    or (high is not None and scores[0] > high):
                return Page([], None)
            return Page(self._summaries([aid]), None)
        indexes = smallest_first(self.conn, indexes)
        bound = "" if cursor is None else decode_cursor(cursor)
        if high is not None and (bound == "" or int(bound) > high):
            bound = str(high + 1)
        stop = "" if low is None else str(low)
        ids, last, exhausted = self.conn.page(keys=indexes, args=["desc", bound, limit, SCAN_BUDGET, stop, 0])
        next_cursor = None if int(exhausted) or last in (None, "") else encode_cursor(int(float(last)))
        return Page(self._summaries(ids), next_cursor)

    def _summaries(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Article records without their text (a page of 200 articles could be 40 M chars)."""
        fields = ("id", *METADATA, "status", "error", "claim_count", "created_at", "processed_at", "revision",
                  "updated_at", "extractor_version")
        with self.redis.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hmget(Keys.article(aid), fields)
            rows = pipe.execute()
        out = []
        for values in rows:
            raw = {k: v for k, v in zip(fields, values) if v is not None}
            if raw.get("id") and raw.get("status"):
                record = records.article(raw)
                record.pop("text")
                out.append(record)
        return out

    # -- tombstones ---------------------------------------------------------------------------

    def tombstone(self, aid: str) -> dict[str, Any] | None:
        if not is_id("art", aid):
            return None
        raw = self.redis.hgetall(Keys.article(aid))
        return records.tombstone(raw) if raw.get("deleted_at") else None

    # -- revisions ----------------------------------------------------------------------------

    def revise(self, aid: str, fields: Mapping[str, Any], by: str,
                       enqueue: Callable[[Pipeline, str], Any],
                       dedup: Sequence[Any] = ()) -> tuple[dict[str, Any], bool]:
        """Replace an article's text and metadata. Returns ``(article, queued)``.

        A new text makes a new revision: the replaced text is kept (it is what superseded
        claims were part of), the article is queued for extraction again, and an
        `article.revised` event is written, all in one transaction. New metadata with the same
        text is updated in place. The same text and metadata change nothing. Raises NotFound,
        Gone for a taken-down article, or Conflict when the new `external_id` (or url and
        text) already names another article.
        """
        key = Keys.article(aid)
        emitter = self.feed.emitter()
        new_meta = {k: "" if fields.get(k) is None else str(fields[k]) for k in METADATA}
        text = fields["text"]

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool]:
            raw = watch_live_article(pipe, aid)
            same_text = raw.get("text", "") == text
            changed = {k: v for k, v in new_meta.items() if (raw.get(k) or "") != v}
            if same_text and not changed:
                pipe.unwatch()
                return records.article(raw), False
            now = utcnow()
            revision = int(raw.get("revision") or 1)
            score = raw.get("score") or "0"
            old_keys = set(filter(None, (raw.get("dedup") or "").split(" ")))
            new_keys = {Keys.dedup(d.kind, d.fingerprint) for d in dedup}
            if new_keys:
                pipe.watch(*new_keys)
                for owner in pipe.mget(sorted(new_keys)):
                    if owner and owner != aid and self.get(owner) is not None:
                        pipe.unwatch()
                        raise Conflict(f"another article ({owner}) has this external_id or url and text")
            if raw.get("external_id") and raw.get("external_id") != new_meta["external_id"]:
                stale = Keys.dedup("ext", digest(raw["external_id"]))
                old_keys.discard(stale)
            else:
                stale = None
            pipe.multi()
            update = {**new_meta, "updated_at": now, "dedup": " ".join(sorted(old_keys | new_keys))}
            for d in dedup:
                pipe.set(Keys.dedup(d.kind, d.fingerprint), aid, ex=d.ttl)
            if stale is not None:
                pipe.delete(stale)
            index_article(pipe, aid, float(score), raw, {**raw, **new_meta})
            if not same_text:
                pipe.set(Keys.revision_text(aid, revision), raw.get("text", ""), ex=self.conn.options.revision_retention)
                update.update(text=text, revision=revision + 1, error="", processed_at="")
                set_status(pipe, aid, score, raw.get("status"), "queued")
                pipe.rpush(Keys.revisions(aid), revision_entry(revision + 1, now, by, text))
                enqueue(pipe, aid)
                emitter.emit(pipe, "article.revised", {"article_id": aid, "revision": revision + 1, "by": by})
                emitter.emit(pipe, "article.queued", {"article_id": aid, "revision": revision + 1})
            pipe.hset(key, mapping=update)
            pipe.execute()
            return records.article({**raw, **update, "status": "queued" if not same_text else raw["status"]}), \
                not same_text

        return self.conn.transaction(body)

    def revisions(self, aid: str) -> list[dict[str, Any]] | None:
        """An article's revisions, oldest first, with whether each earlier text is still kept."""
        if not is_id("art", aid):
            return None
        raw = self.redis.hmget(Keys.article(aid), "id", "deleted_at", "revision")
        if raw[0] is None:
            return None
        if raw[1]:
            raise Gone(self.tombstone(aid) or {"id": aid, "deleted_at": raw[1]})
        entries = [json.loads(e) for e in self.redis.lrange(Keys.revisions(aid), 0, -1)]
        current = int(raw[2] or 1)
        with self.redis.pipeline(transaction=False) as pipe:
            for e in entries:
                pipe.exists(Keys.revision_text(aid, e["revision"]))
            kept = pipe.execute()
        for e, exists in zip(entries, kept):
            e["text_kept"] = e["revision"] == current or bool(exists)
        return entries

    def revision_text(self, aid: str, revision: int) -> str | None:
        """The text of one revision of an article: the current one, or a kept earlier one."""
        current, text = self.redis.hmget(Keys.article(aid), "revision", "text")
        if text is not None and int(current or 1) == revision:
            return text
        return self.redis.get(Keys.revision_text(aid, revision))

    def request_reextraction(self, aid: str, enqueue: Callable[[Pipeline, str], Any],
                             by: str | None = None) -> tuple[dict[str, Any], bool] | None:
        """Queue extraction of an article's current text again (`done` or `failed` only).
        Returns ``(article, queued)``; None for an unknown article; Gone if taken down."""
        if not is_id("art", aid):
            return None
        key = Keys.article(aid)
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool] | None:
            try:
                raw = watch_live_article(pipe, aid)
            except NotFound:
                return None
            if raw.get("status") not in ("done", "failed"):
                pipe.unwatch()
                return records.article(raw), False
            pipe.multi()
            set_status(pipe, aid, raw.get("score"), raw.get("status"), "queued")
            pipe.hset(key, mapping={"error": "", "processed_at": ""})
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid, "reextract": True,
                                                  **({"by": by} if by else {})})
            pipe.execute()
            return records.article({**raw, "status": "queued", "error": "", "processed_at": ""}), True

        return self.conn.transaction(body)

    def oldest_from(self, after: float | None, limit: int) -> list[tuple[str, float, str | None]]:
        """(id, listing score, extractor version) of articles oldest first, after a score:
        the walk a bulk re-extraction makes, resumable from the last score it saw."""
        rows = sharded.after(sharded.pipelined(self.redis), Keys.articles, "asc",
                             "" if after is None else sharded.score_text(after), "", limit)
        with self.redis.pipeline(transaction=False) as pipe:
            for aid, _ in rows:
                pipe.hget(Keys.article(aid), "extractor_version")
            versions = pipe.execute() if rows else []
        return [(aid, score, version) for (aid, score), version in zip(rows, versions)]

    def reextraction_cursor(self, name: str) -> float | None:
        """Where a bulk re-extraction named `name` stopped (a listing score), to resume it."""
        value = self.redis.get(Keys.reextract_cursor(name))
        return float(value) if value is not None else None

    def save_reextraction_cursor(self, name: str, score: float | None) -> None:
        if score is None:
            self.redis.delete(Keys.reextract_cursor(name))
        else:
            self.redis.set(Keys.reextract_cursor(name), score)

    # -- new articles -------------------------------------------------------------------------

    def create(
        self,
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
        created_ms = epoch_ms(now)
        record = {k: _s(v) for k, v in fields.items() if v is not None}
        record.update(id=aid, status="queued", claim_count="0", created_at=now, attempts="0", revision="1",
                      updated_at=now, dedup=" ".join(dedup_keys))
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> tuple[Any, ...] | None:
            if dedup_keys:
                pipe.watch(*dedup_keys)
                owners, seq = self._owners_and_seq(pipe, dedup_keys)
                for d, existing in zip(dedup, owners):
                    article = self.get(existing) if existing else None
                    if article is not None:
                        pipe.unwatch()
                        if d.kind == "ext" and article["text"] != record.get("text", ""):
                            return ("revise", article["id"])
                        return article, False
            else:
                seq = self.redis.incr(Keys.article_seq)
            score = score_of(created_ms, seq)
            record["score"] = str(score)
            pipe.multi()
            pipe.hset(Keys.article(aid), mapping=record)
            pipe.zadd(Keys.pending, {aid: created_ms})
            index_article(pipe, aid, score, {}, record)
            for d, key in zip(dedup, dedup_keys):
                pipe.set(key, aid, ex=d.ttl)
            pipe.rpush(Keys.revisions(aid), revision_entry(1, now, by, record.get("text", "")))
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid})
            pipe.execute()
            return None

        existing = self.conn.transaction(body, "create_article")
        if existing is not None and existing[0] == "revise":
            others = [d for d in dedup if d.kind != "idem"]
            return self.revise(existing[1], fields, by or "", enqueue, others)
        if existing is not None:
            return existing
        return records.article(record), True

    def _owners_and_seq(self, pipe: Pipeline, dedup_keys: Sequence[str]) -> tuple[list[str | None], int]:
        """The articles `dedup_keys` name, read once `pipe` WATCHes them, and a number drawn
        from the listing sequence (`article_index.score_of`), in one round trip: on another
        connection, which is as good as the watching one's, since the WATCH is in place before
        the read. (On a cluster, the watching pipeline's own reads, `cross_slot`.)"""
        if self.conn.cluster:
            return pipe.mget(dedup_keys), self.redis.incr(Keys.article_seq)
        with self.redis.pipeline(transaction=False) as reads:
            reads.mget(dedup_keys)
            reads.incr(Keys.article_seq)
            owners, seq = reads.execute()
        return owners, seq

    # -- takedown -----------------------------------------------------------------------------

    def delete(self, aid: str, by: str) -> dict[str, Any]:
        """Take an article down (`takedown.take_down`); raises NotFound, or Gone when it was
        already taken down."""
        if not is_id("art", aid):
            raise NotFound(aid)
        return take_down(self.conn, self.feed.emitter(), aid, by)
