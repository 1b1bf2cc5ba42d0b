"""What every part of the store shares: its errors, its page, and its transaction loop."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import WatchError

#: How many index entries one list request may examine when filters are combined; a page
#: can come back short (with a cursor) rather than let one request walk a huge index.
SCAN_BUDGET = 2000


class NotFound(LookupError):
    """The record asked for does not exist."""


class VersionMismatch(Exception):
    """An ``If-Match`` version no longer matches the stored one."""

    def __init__(self, current: int) -> None:
        super().__init__(f"current version is {current}")
        self.current = current


class Conflict(Exception):
    """The change contradicts the current state (merging a speaker into itself, ...)."""


class Gone(LookupError):
    """The article (or the claim's article) was taken down; carries the tombstone."""

    def __init__(self, tombstone: Mapping[str, Any]) -> None:
        super().__init__(tombstone["id"])
        self.tombstone = dict(tombstone)


class CursorExpired(Exception):
    """The event feed no longer holds the events after this cursor."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


#: The attribute of a transaction's pipeline that holds its `after_commit` actions.
AFTER_COMMIT = "_claimtrack_after_commit"


def after_commit(pipe: Pipeline, action: Callable[[], Any]) -> None:
    """Run `action` once the transaction `pipe` belongs to has committed (never if it is
    retried or given up): how a write reaches a second Redis, the job queue on its own
    server, which no MULTI/EXEC of the store can include. A process killed between the two
    leaves the first done and the second not; each caller names what finishes it (for an
    extraction job, reconciliation; see docs/scaling.md)."""
    getattr(pipe, AFTER_COMMIT).append(action)


def hold_before_multi(pipe: Any, before_exec: Callable[[str], None] | None, name: str) -> None:
    """Make `pipe.multi()` call `before_exec(name)` first (tests only: `Connection.before_exec`),
    the point between a transaction's reads and its writes where a test holds it."""
    if before_exec is None:
        return
    start_multi = pipe.multi

    def multi() -> None:
        before_exec(name)
        start_multi()
    pipe.multi = multi


def transaction(redis: Redis, body: Callable[[Pipeline], Any],
                before_exec: Callable[[str], None] | None = None, name: str = "") -> Any:
    """Run `body` (WATCH, read, MULTI, write) until no watched key changed under it, then
    what it handed to `after_commit`.

    `before_exec` (tests only: `Connection.before_exec`) is called with `name` when `body` starts
    its MULTI, after its reads, so that a test can hold one transaction there while another
    changes what it watched, and so force the race the WATCH is for.
    """
    with redis.pipeline() as pipe:
        hold_before_multi(pipe, before_exec, name)
        while True:
            setattr(pipe, AFTER_COMMIT, [])
            try:
                result = body(pipe)
            except WatchError:
                pipe.reset()
                continue
            for action in getattr(pipe, AFTER_COMMIT):
                action()
            return result
