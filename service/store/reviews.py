"""Articles marked reviewed: a reviewer's statement that an article's claims are as they
should be (corrected, added, marked not a claim), recorded in the article's history. The
reviewed articles are what `export-gold` writes as evaluation data (service/gold.py).

A mark is on a revision: once the article's text is revised, its claims are extracted again,
and the mark no longer says anything about them (`Review.current`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.client import Pipeline

from .base import NotFound
from .connection import Connection
from .events import Feed
from .layout import Keys
from .values import epoch_ms, is_id, utcnow
from .reads import live_article


@dataclass(frozen=True)
class Review:
    """An article's latest mark, and its history of marks (oldest first)."""

    reviewed: bool
    by: str | None
    at: str | None
    revision: int | None
    current: bool  # the mark is on the article's current revision
    history: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"reviewed": self.reviewed and self.current, "by": self.by, "at": self.at, "revision": self.revision,
                "history": self.history}


class ReviewRepository:
    """Reviewed marks on articles and each article's history of them."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    def mark(self, aid: str, reviewed: bool, *, by: str, note: str | None = None) -> Review:
        """Mark an article reviewed (or take the mark back), on its current revision. Raises
        NotFound or Gone."""
        if not is_id("art", aid):
            raise NotFound(aid)
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> None:
            pipe.watch(Keys.article(aid))
            revision, = live_article(pipe, aid, "revision")
            at = utcnow()
            entry = {"action": "reviewed" if reviewed else "unreviewed", "by": by, "at": at,
                     "revision": int(revision or 1), "note": note}
            pipe.multi()
            pipe.rpush(Keys.article_history(aid), json.dumps(entry))
            if reviewed:
                pipe.zadd(Keys.reviewed, {aid: epoch_ms(at)})
            else:
                pipe.zrem(Keys.reviewed, aid)
            emitter.emit(pipe, "article.reviewed", {"article_id": aid, "reviewed": reviewed, "by": by,
                                                    "revision": entry["revision"]})
            pipe.execute()

        self.conn.transaction(body, "mark_reviewed")
        return self.get(aid)  # type: ignore[return-value]

    def get(self, aid: str) -> Review | None:
        """The article's review state; None for an unknown article."""
        if not is_id("art", aid):
            return None
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(Keys.article(aid), "status", "revision")
            pipe.lrange(Keys.article_history(aid), 0, -1)
            (status, revision), entries = pipe.execute()
        if status is None:
            return None
        history = [json.loads(e) for e in entries]
        last = history[-1] if history else None
        if last is None:
            return Review(False, None, None, None, False, history)
        return Review(last["action"] == "reviewed", last["by"], last["at"], last["revision"],
                      last["revision"] == int(revision or 1), history)

    def reviewed_since(self, since_ms: int | None = None) -> list[str]:
        """Ids of articles marked reviewed (at or after `since_ms`), oldest mark first."""
        return self.redis.zrangebyscore(Keys.reviewed, "-inf" if since_ms is None else since_ms, "+inf")
