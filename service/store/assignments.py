"""Claims assigned to reviewers: who is looking at which claim, so that two reviewers do not
work the same queue twice. An assignment is a note for people, not a lock: anyone with the
verify role may still correct or judge an assigned claim, and it does not change the claim's
version (an `If-Match` stays good).

The assignee is a field of the claim's record, so that a page of claims shows its assignees
without another read; each assigned claim is also in the reviewer's index and in the index of
all assigned claims, so the queue's "mine" and "unassigned" filters are an index to walk and an
index to leave out (`ClaimRepository.list`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redis.client import Pipeline

from . import records
from .connection import Connection
from .events import Feed
from .layout import Keys
from .values import is_id, utcnow
from .reads import watch_claims


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
            found = watch_claims(pipe, ids)
            changing = {cid: fields for cid, fields in found.items() if fields.get("assignee") != to}
            pipe.multi()
            if changing:
                pipe.mset({Keys.claim(cid): records.pack_claim(cid, {**fields, "assignee": to})
                           for cid, fields in changing.items()})
            at = utcnow()
            for cid, fields in changing.items():
                previous = fields.get("assignee")
                if previous:
                    pipe.zrem(Keys.by_assignee(previous), cid)
                if to is None:
                    pipe.zrem(Keys.assigned, cid)
                else:
                    pipe.zadd(Keys.assigned, {cid: fields["seq"]})
                    pipe.zadd(Keys.by_assignee(to), {cid: fields["seq"]})
                emitter.emit(pipe, "claim.assigned", {"claim_id": cid, "assignee": to, "previous": previous,
                                                      "by": by, "at": at})
            pipe.execute()
            return [cid for cid in ids if cid in found]

        return self.conn.transaction(body, "assign")


def forget(pipe: Pipeline, claims: Mapping[str, Mapping[str, Any]]) -> None:
    """Queue the removal of these claims' assignments from the indexes (their article is
    taken down; the records go with it)."""
    for cid, fields in claims.items():
        if fields.get("assignee"):
            pipe.zrem(Keys.assigned, cid)
            pipe.zrem(Keys.by_assignee(fields["assignee"]), cid)
