"""What every write of an article does to its record and the listing indexes: its listing
score, its place in the status, source and url indexes, its status (and the pending index
reconciliation watches), and its revision log entries. Plain functions that queue writes on
the caller's pipeline, shared by the articles, their extraction jobs, the claims a job saves
and the migration.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.client import Pipeline

from . import records, sharded
from .base import Gone, NotFound
from .layout import Keys
from .values import epoch_ms

#: Article fields a client sets (the text aside).
METADATA = ("title", "url", "source", "published_at", "external_id")
#: An article's listing score: creation time in ms times this, plus a counter modulo it, so
#: that two articles created in the same millisecond still have distinct scores (a cursor
#: is a score) and the order is still creation order.
SCORE_SCALE = 1000


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def revision_entry(revision: int, at: str, by: str | None, text: str) -> str:
    return json.dumps({"revision": revision, "at": at, "by": by, "text_sha256": text_digest(text),
                       "chars": len(text), "claims": None})


def listing_score(redis: Redis, created_at: str) -> int:
    return score_of(epoch_ms(created_at), redis.incr(Keys.article_seq))


def score_of(created_ms: int, seq: int) -> int:
    """The listing score of an article created at `created_ms` (epoch ms) that drew `seq`
    from the listing sequence (INCR of `Keys.article_seq`)."""
    return created_ms * SCORE_SCALE + seq % SCORE_SCALE


def index_article(pipe: Pipeline, aid: str, score: float, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Move an article between the listing indexes as its status, source or url change
    (`old` is {} for a new article, `new` is {} for one taken down)."""
    pairs = (("status", Keys.articles_by_status), ("source", Keys.articles_by_source),
             ("url", Keys.articles_by_url))
    for field, index in pairs:
        before, after = old.get(field) or "", new.get(field) or ""
        if before == after and old:
            continue
        if before:
            sharded.remove(pipe, index(before), {aid: score})
        if after:
            sharded.add(pipe, index(after), {aid: score})
    if not new:
        sharded.remove(pipe, Keys.articles, {aid: score})
    elif not old:
        sharded.add(pipe, Keys.articles, {aid: score})


def set_status(pipe: Pipeline, aid: str, score: str | None, old: str | None, new: str) -> None:
    """Write an article's status change and move it between the status indexes; keep
    the pending index (reconciliation) of articles `queued` or `processing`, and since when."""
    pipe.hset(Keys.article(aid), "status", new)
    if new in ("queued", "processing"):
        pipe.zadd(Keys.pending, {aid: int(time.time() * 1000)})
    else:
        pipe.zrem(Keys.pending, aid)
    if score and old != new:
        if old:
            sharded.remove(pipe, Keys.articles_by_status(old), {aid: float(score)})
        sharded.add(pipe, Keys.articles_by_status(new), {aid: float(score)})


def watch_live_article(pipe: Pipeline, aid: str, *also: str) -> dict[str, str]:
    """An article's fields, read under WATCH (with `also`); NotFound when there is no such
    article, Gone when it was taken down."""
    pipe.watch(Keys.article(aid), *also)
    raw = pipe.hgetall(Keys.article(aid))
    if not raw:
        pipe.unwatch()
        raise NotFound(aid)
    if raw.get("deleted_at"):
        pipe.unwatch()
        raise Gone(records.tombstone(raw))
    return raw
