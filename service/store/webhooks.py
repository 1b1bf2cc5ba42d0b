"""Webhook subscriptions, their secrets, and the log of their deliveries.

`WebhookRepository` holds them. Every write reads the subscriptions, to queue deliveries with its events
(`events.py`), so each process keeps them for `HOOKS_TTL`; adding or deleting one here drops
this process's copy at once. A rotated secret goes on signing beside the new one for a grace
period, so that a receiver can switch secrets without rejecting deliveries.

A receiver that times out is paused (a circuit breaker), so that it does not hold the delivery
workers from every other receiver: after a timed-out attempt its deliveries wait `PAUSE`
seconds, doubled after each further timeout up to `MAX_PAUSE`; then one delivery at a time
tries it (`delivery_gate`), and any attempt that ends within the timeout (a 2xx, or a quick
failure) ends the pause.
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from redis.client import Pipeline
from rq import Queue
from rq.serializers import JSONSerializer

from . import records
from .connection import Connection
from .layout import Keys
from .values import format_time, is_id, new_id, utcnow

DELIVERY_QUEUE = "claimtrack-webhooks"
HOOKS_TTL = 1.0
MAX_DELIVERY_LOG = 200
#: Seconds a receiver's deliveries wait after its first timeout, and at most after many.
PAUSE = 30
MAX_PAUSE = 1800


@dataclass(frozen=True)
class Hook:
    id: str
    events: frozenset[str]


def read_hooks(redis: Any) -> list[Hook]:
    ids = redis.smembers(Keys.webhooks)
    if not ids:
        return []
    with redis.pipeline(transaction=False) as pipe:
        for wid in ids:
            pipe.hget(Keys.webhook(wid), "events")
        found = pipe.execute()
    return [Hook(wid, frozenset(json.loads(types))) for wid, types in zip(ids, found) if types]


class WebhookRepository:
    """Webhooks, their secrets and their deliveries' log; and the queue deliveries go to."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.redis = conn.redis
        #: The RQ queue of webhook deliveries.
        self.delivery_queue = Queue(DELIVERY_QUEUE, connection=conn.raw, serializer=JSONSerializer)
        self._hooks_cache: tuple[float, list[Hook]] = (0.0, [])

    def hooks(self) -> list[Hook]:
        """The registered webhooks, read at most once a second per process: every write needs
        them, and they change rarely. A webhook registered elsewhere gets events from at most
        a second later; one deleted elsewhere may have deliveries queued for that second,
        which its delivery jobs then drop."""
        expires, hooks = self._hooks_cache
        if time.monotonic() >= expires:
            hooks = read_hooks(self.redis)
            self._hooks_cache = (time.monotonic() + HOOKS_TTL, hooks)
        return hooks

    def add(self, url: str, event_types: Sequence[str], secret: str) -> dict[str, Any]:
        wid = new_id("whk")
        record = {"id": wid, "url": url, "events": json.dumps(sorted(set(event_types))), "secret": secret,
                  "created_at": utcnow()}
        with self.redis.pipeline() as pipe:
            pipe.hset(Keys.webhook(wid), mapping=record)
            pipe.sadd(Keys.webhooks, wid)
            pipe.execute()
        self._hooks_cache = (0.0, [])
        return records.webhook(record)

    def list(self) -> "list[dict[str, Any]]":
        with self.redis.pipeline(transaction=False) as pipe:
            for wid in self.redis.smembers(Keys.webhooks):
                pipe.hgetall(Keys.webhook(wid))
            found = [records.webhook(raw) for raw in pipe.execute() if raw]
        return sorted(found, key=lambda w: w["created_at"])

    def target(self, wid: str) -> tuple[str, list[str]] | None:
        """(url, secrets to sign with) of a webhook, for its delivery job; None once it is
        deleted. The secrets are the current one and, for a while after a rotation, the one
        before it."""
        if not is_id("whk", wid):
            return None
        url, secret, previous, until = self.redis.hmget(
            Keys.webhook(wid), "url", "secret", "previous_secret", "previous_until")
        if not url:
            return None
        honoured = [secret] + ([previous] if previous and until and float(until) > time.time() else [])
        return url, honoured

    def rotate_secret(self, wid: str, secret: str, grace: int) -> dict[str, Any] | None:
        """Give a webhook a new secret; the old one still signs (beside it) for `grace` seconds."""
        if not is_id("whk", wid):
            return None
        key = Keys.webhook(wid)

        def body(pipe: Pipeline) -> dict[str, Any] | None:
            pipe.watch(key)
            record = pipe.hgetall(key)
            if not record:
                return None
            until = time.time() + grace
            pipe.multi()
            pipe.hset(key, mapping={"secret": secret, "previous_secret": record["secret"],
                                    "previous_until": f"{until:.3f}"})
            pipe.execute()
            return {**records.webhook(record), "previous_secret_expires_at": format_time(
                datetime.fromtimestamp(until, timezone.utc))}

        return self.conn.transaction(body)

    def delete(self, wid: str) -> bool:
        if not is_id("whk", wid):
            return False
        with self.redis.pipeline() as pipe:
            pipe.srem(Keys.webhooks, wid)
            for key in (Keys.webhook(wid), Keys.deliveries(wid), Keys.webhook_pause(wid), Keys.webhook_probe(wid)):
                pipe.delete(key)  # one key each: on a cluster they are in different slots
            removed, *_ = pipe.execute()
        self._hooks_cache = (0.0, [])
        return bool(removed)

    def record_delivery(self, wid: str, attempt: Mapping[str, Any]) -> None:
        if not self.redis.exists(Keys.webhook(wid)):
            return
        with self.redis.pipeline() as pipe:
            pipe.lpush(Keys.deliveries(wid), json.dumps(dict(attempt)))
            pipe.ltrim(Keys.deliveries(wid), 0, MAX_DELIVERY_LOG - 1)
            pipe.execute()

    def deliveries(self, wid: str, limit: int = MAX_DELIVERY_LOG) -> "list[dict[str, Any]] | None":
        """Delivery attempts, newest first; None for an unknown webhook."""
        if not is_id("whk", wid) or not self.redis.exists(Keys.webhook(wid)):
            return None
        return [json.loads(e) for e in self.redis.lrange(Keys.deliveries(wid), 0, limit - 1)]

    def delivery_gate(self, wid: str, probe_seconds: int) -> float | None:
        """None when a delivery to the webhook may go ahead now; otherwise the time (epoch
        seconds) to put it off to. A paused webhook's deliveries wait for the end of the pause;
        then one of them (holding the probe for `probe_seconds`) tries the receiver, and the
        others wait that long again."""
        if not is_id("whk", wid):
            return None
        timeouts, until = self.redis.hmget(Keys.webhook_pause(wid), "timeouts", "until")
        if not timeouts:
            return None
        now = time.time()
        if until and float(until) > now:
            return float(until)
        if self.redis.set(Keys.webhook_probe(wid), "1", nx=True, ex=probe_seconds):
            return None
        return now + probe_seconds

    def note_receiver(self, wid: str, timed_out: bool) -> float | None:
        """After an attempt: a timeout pauses the webhook (longer at each consecutive one);
        an attempt that ended within the timeout, however it ended, ends the pause. Returns
        the end of the pause, if any."""
        if not is_id("whk", wid):
            return None
        key = Keys.webhook_pause(wid)
        if not timed_out:
            self.redis.delete(key, Keys.webhook_probe(wid))
            return None
        timeouts = self.redis.hincrby(key, "timeouts", 1)
        until = time.time() + min(MAX_PAUSE, PAUSE * 2 ** min(timeouts - 1, 16))
        with self.redis.pipeline() as pipe:
            pipe.hset(key, "until", f"{until:.3f}")
            pipe.expire(key, MAX_PAUSE * 4)
            pipe.delete(Keys.webhook_probe(wid))
            pipe.execute()
        return until
