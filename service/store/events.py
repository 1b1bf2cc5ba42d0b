"""The change feed (a Redis Stream) and the webhook deliveries each event fans out to.

An event is written in the same MULTI/EXEC as the change it reports, and so is one RQ job per
webhook subscribed to its type when the job queues share the store's Redis: a change is never
visible without its event, and an event is never recorded without its deliveries being queued.
With a queue Redis of its own (CLAIMTRACK_QUEUE_URL, always with a cluster) the deliveries are
queued right after the change commits (`base.after_commit`): a process killed in between loses
those deliveries, while the event stays in the feed (docs/guarantees.md says so).

The stream keeps events for `retention` seconds (trimmed approximately, on each write, with
XADD MINID): a poller that falls further behind than that gets 410 instead of a silent gap.

`Feed` reads the feed and gives each write its `Emitter`; the webhook subscriptions the
emitter fans out to are kept by `webhooks.WebhookRepository`, which the feed is given.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.client import Pipeline
from rq import Callback, Queue, Retry

from . import records
from .base import CursorExpired, Page, after_commit
from .connection import Connection
from .layout import Keys
from .values import BadCursor, decode_cursor, encode_cursor, new_id, utcnow
from .webhooks import Hook, WebhookRepository


DELIVER_JOB = "workers.webhooks.deliver"
#: Records delivery attempts that the delivery itself could not (timeouts, dead workers).
DELIVERY_FAILURE_CALLBACK = "workers.jobs.on_delivery_failure"


@dataclass
class Emitter:
    """Queues events (and their webhook deliveries) on a pipeline in MULTI mode."""

    hooks: Sequence[Hook]
    deliveries: Queue
    retry_intervals: Sequence[int]
    retention: int
    #: Whether `deliveries` is on the store's server (jobs join the change's transaction).
    queue_shared: bool = True

    def emit(self, pipe: Pipeline, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        event = {"id": new_id("evt"), "type": event_type, "at": utcnow(), "data": dict(data)}
        self._append(pipe, records.event_entry(event))
        self._fan_out(pipe, event)
        return event

    def batch(self) -> "EventBatch":
        """An emitter for a transaction with many events: they enter the feed as one entry."""
        return EventBatch(self)

    def _append(self, pipe: Pipeline, entry: Mapping[str, Any]) -> None:
        oldest = int((time.time() - self.retention) * 1000)
        pipe.xadd(Keys.events, dict(entry), minid=f"{oldest}-0", approximate=True)

    def _fan_out(self, pipe: Pipeline, event: dict[str, Any]) -> None:
        for hook in self.hooks:
            if event["type"] in hook.events:
                if self.queue_shared:
                    self._deliver(hook, event, pipe)
                else:
                    after_commit(pipe, lambda hook=hook: self._deliver(hook, event, None))

    def _deliver(self, hook: Hook, event: Mapping[str, Any], pipe: Pipeline | None) -> None:
        self.deliveries.enqueue(
            DELIVER_JOB,
            hook.id,
            event,
            retry=Retry(max=len(self.retry_intervals), interval=list(self.retry_intervals))
            if self.retry_intervals else None,
            job_timeout=60,
            on_failure=Callback(DELIVERY_FAILURE_CALLBACK),
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            description=f"deliver {event['type']} {event['id']} to {hook.id}",
            pipeline=pipe,
        )


class EventBatch:
    """`Emitter.emit` for one transaction's many events (an article's save: one a claim): each
    event is fanned out to its webhooks at once, and all of them enter the feed as one entry
    (`records.batch_entry`) when `flush` queues it, before the transaction's EXEC: one XADD
    instead of one an event. Readers see each event as before (`Feed.read`). The events of one
    transaction happen at one time: the batch's, stored once."""

    def __init__(self, emitter: Emitter) -> None:
        self.emitter = emitter
        self.events: list[dict[str, Any]] = []
        self.at = utcnow()

    def emit(self, pipe: Pipeline, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        event = {"id": new_id("evt"), "type": event_type, "at": self.at, "data": dict(data)}
        self.events.append(event)
        self.emitter._fan_out(pipe, event)
        return event

    def flush(self, pipe: Pipeline) -> None:
        """Queue the feed entry of the events emitted so far (one alone as an ordinary entry)."""
        if len(self.events) == 1:
            self.emitter._append(pipe, records.event_entry(self.events[0]))
        elif self.events:
            self.emitter._append(pipe, records.batch_entry(self.events))
        self.events = []


class Feed:
    """The change feed: read by pollers, written by every repository's transactions through
    the `Emitter` each write gets here."""

    def __init__(self, conn: Connection, webhooks: WebhookRepository) -> None:
        self.redis = conn.redis
        self.options = conn.options
        self.queue_shared = conn.queue_shared
        self.webhooks = webhooks

    def emitter(self) -> Emitter:
        """What one write emits its events through: the subscriptions as they are now."""
        return Emitter(self.webhooks.hooks(), self.webhooks.delivery_queue, self.options.webhook_retry_intervals,
                       self.options.event_retention, self.queue_shared)

    def read(self, after: str | None = None, limit: int = 100) -> Page:
        """Events oldest first, after the cursor's event; the cursor to continue from is
        returned even when nothing new has happened yet (keep polling with it)."""
        start, position, seen = "-", None, None
        if after is not None:
            position, seen = _stream_position(after)
            info = self.redis.xinfo_stream(Keys.events) if self.redis.exists(Keys.events) else {}
            first = info.get("first-entry")
            oldest_kept = first[0] if first else info.get("last-generated-id")
            if _before(position, oldest_kept):
                raise CursorExpired(position)
            # Within a batch entry the cursor names the last event read: the entry is read again.
            start = position if seen is not None else "(" + position
        # Every entry holds at least one event: `limit` entries (and the partly read one) suffice.
        entries = self.redis.xrange(Keys.events, start, "+", count=limit + (seen is not None))
        items: list[dict[str, Any]] = []
        last = encode_cursor(_position(position, seen)) if position else None
        for entry_id, fields in entries:
            events = records.events(fields)
            first_new = seen + 1 if entry_id == position and seen is not None else 0
            for index in range(first_new, len(events)):
                if len(items) == limit:
                    return Page(items, last)
                items.append(events[index])
                last = encode_cursor(_position(entry_id, None if index == len(events) - 1 else index))
        return Page(items, last)


#: The largest part of a stream id (milliseconds, sequence number): Redis keeps both in 64 bits.
_ID_PART_MAX = 2**64 - 1


def _position(entry_id: str, seen: int | None) -> str:
    """A cursor's value: after stream entry `entry_id`, or after its event `seen` (a batch
    entry read in part)."""
    return entry_id if seen is None else f"{entry_id}.{seen}"


def _stream_position(cursor: str) -> tuple[str, int | None]:
    """The stream id inside an events cursor, and the last event read of that entry when it
    was read in part (a batch). One Redis could never have given (a part past 64 bits, or the
    very last id, after which nothing can come) is a cursor this service did not issue:
    BadCursor, not an invalid id handed on to XRANGE."""
    value = decode_cursor(cursor, pattern=r"\d{1,20}-\d{1,20}(\.\d{1,6})?")
    position, _, seen = value.partition(".")
    parts = tuple(int(p) for p in position.split("-"))
    if max(parts) > _ID_PART_MAX or parts == (_ID_PART_MAX, _ID_PART_MAX):
        raise BadCursor("cursor is not one this service issued")
    return position, (int(seen) if seen else None)


def _before(position: str, other: str | None) -> bool:
    """Whether stream id `position` comes strictly before stream id `other`. A cursor before
    the oldest event kept is past the retention: the events after it may have been trimmed,
    and the feed cannot tell, so it says so rather than skip them silently."""
    if not other:
        return False
    a = tuple(int(p) for p in position.split("-"))
    b = tuple(int(p) for p in str(other).split("-"))
    return a < b
