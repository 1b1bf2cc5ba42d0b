"""Claims assigned to reviewers: who is looking at which claim, so that two reviewers do not
work the same queue twice. An assignment is a note for people, not a lock: anyone with the
verify role may still correct or judge an assigned claim.

Each assigned claim is in the reviewer's index and in the index of all assigned claims, so the
queue's "mine" and "unassigned" filters are an index to walk and an index to leave out
(`ClaimRepository.list`), and a page's assignees are one HMGET.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from redis.client import Pipeline

from .connection import Connection
from .events import Feed
from .layout import Keys, is_id, seq_of_claim, utcnow


class AssignmentRepository:
    """Which reviewer each claim is assigned to."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    def assign(self, ids: Sequence[str], to: str | None, *, by: str) -> list[str]:
        """Assign claims to reviewer `to` (None: unassign them). Returns the ids that exist
        (the others are left alone); claims already so assigned are not written again."""
        ids = [cid for cid in dict.fromkeys(ids) if is_id("clm", cid)]
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> list[str]:
            if not ids:
                return []
            pipe.watch(Keys.assignees)
            exists = [cid for cid, found in zip(ids, pipe.mget([Keys.claim(c) for c in ids])) if found]
            current = dict(zip(exists, pipe.hmget(Keys.assignees, exists))) if exists else {}
            changing = [cid for cid in exists if current[cid] != to]
            pipe.multi()
            at = utcnow()
            for cid in changing:
                seq = seq_of_claim(cid)
                if current[cid]:
                    pipe.zrem(Keys.by_assignee(current[cid]), cid)
                if to is None:
                    pipe.hdel(Keys.assignees, cid)
                    pipe.zrem(Keys.assigned, cid)
                else:
                    pipe.hset(Keys.assignees, cid, to)
                    pipe.zadd(Keys.assigned, {cid: seq})
                    pipe.zadd(Keys.by_assignee(to), {cid: seq})
                emitter.emit(pipe, "claim.assigned", {"claim_id": cid, "assignee": to, "from": current[cid],
                                                      "by": by, "at": at})
            pipe.execute()
            return exists

        return self.conn.transaction(body, "assign")

    def of(self, ids: Iterable[str]) -> dict[str, str]:
        """The assignees of these claims (unassigned ones are left out)."""
        ids = list(ids)
        if not ids:
            return {}
        return {cid: who for cid, who in zip(ids, self.redis.hmget(Keys.assignees, ids)) if who}


def forget(pipe: Pipeline, assignees: dict[str, str]) -> None:
    """Queue the removal of these claims' assignments (their article is taken down)."""
    for cid, who in assignees.items():
        pipe.hdel(Keys.assignees, cid)
        pipe.zrem(Keys.assigned, cid)
        pipe.zrem(Keys.by_assignee(who), cid)
