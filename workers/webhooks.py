"""Webhook delivery: one RQ job per (event, webhook), queued with the event itself.

The body is the event as JSON, signed the Standard Webhooks way (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``; `workers.delivery`), with the event id as
``webhook-id`` on every attempt so that receivers can drop repeats. A delivery that gets no 2xx
answer raises, and RQ retries it after CLAIMTRACK_WEBHOOK_RETRY_INTERVALS; every attempt is
recorded and listed by ``GET /v1/webhooks/{id}/deliveries``.

A receiver that times out is paused (`service.store.webhooks`): while it is, its deliveries
are not attempted but put off, each as a scheduled job to the end of the pause, keeping its
delivery id, attempt count and the retries it has left, so a stalled receiver costs the
workers one timeout per pause instead of one per delivery, and never holds up the others. A
delivery put off for longer than its retries would have lasted (plus `MAX_PAUSE`) gives up,
and its log entry says so.
"""
from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from typing import Any

from rq import Callback, Retry, get_current_job
from rq.job import Job

from service.store import utcnow
from service.store.events import DELIVER_JOB, DELIVERY_FAILURE_CALLBACK
from service.store.webhooks import MAX_PAUSE, WebhookRepository

from . import context, delivery


class DeliveryFailed(Exception):
    """The receiver did not accept the event; RQ retries the job."""


def deliver(webhook_id: str, event: dict[str, Any]) -> dict[str, Any]:
    job = get_current_job()
    assert job is not None, "deliver runs inside an RQ job"
    config = context.config()
    store = context.repositories().webhooks
    target = store.target(webhook_id)
    if target is None:
        return {"skipped": "webhook deleted"}
    url, secrets = target
    attempt = {"delivery_id": delivery_id(job), "event_id": event["id"], "event_type": event["type"]}
    wait_until = store.delivery_gate(webhook_id, probe_seconds=config.webhook_timeout + 5)
    if wait_until is not None:
        if _age(event) > sum(config.webhook_retry_intervals) + MAX_PAUSE:
            store.record_delivery(webhook_id, {
                **attempt, "at": utcnow(), "attempt": job.meta.get("attempts", 0), "status_code": None,
                "ok": False, "error": "gave up: the receiver kept timing out", "duration_ms": 0.0})
            return {"gave_up": True}
        return {"put_off_until": _put_off(store, job, webhook_id, event, wait_until)}
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"X-Claimtrack-Event": event["type"], **delivery.signature_headers(event["id"], body, secrets)}
    job.meta["attempts"] = job.meta.get("attempts", 0) + 1
    job.save_meta()
    attempt.update(at=utcnow(), attempt=job.meta["attempts"])
    started = time.monotonic()
    outcome = delivery.post(url, body, headers, timeout=config.webhook_timeout, allow=config.webhook_allow_list())
    store.record_delivery(webhook_id, {**attempt, "status_code": outcome.status_code, "ok": outcome.ok,
                                       "error": outcome.error,
                                       "duration_ms": round((time.monotonic() - started) * 1000, 1)})
    store.note_receiver(webhook_id, timed_out=outcome.error == "timeout")
    if not outcome.ok:
        raise DeliveryFailed(outcome.error)
    return {"status_code": outcome.status_code}


def delivery_id(job: Job) -> str:
    """The id the delivery log knows a delivery by: its first job's, kept when it is put off."""
    return str(job.meta.get("delivery_id") or job.id)


def _age(event: dict[str, Any]) -> float:
    at = datetime.fromisoformat(str(event["at"]).replace("Z", "+00:00"))
    return time.time() - at.timestamp()


def _put_off(store: WebhookRepository, job: Job, webhook_id: str, event: dict[str, Any], until: float) -> str:
    """Schedule the delivery again for `until` (plus up to a second, so that the deliveries of
    a paused receiver do not all come due at once), as the same delivery: same id in the log,
    same attempt count, the retries it has left."""
    when = datetime.fromtimestamp(until + random.random(), timezone.utc)
    retries = job.retries_left or 0
    store.delivery_queue.enqueue_at(
        when, DELIVER_JOB, webhook_id, event,
        retry=Retry(max=retries, interval=list(job.retry_intervals or [0])) if retries else None,
        job_timeout=job.timeout, on_failure=Callback(DELIVERY_FAILURE_CALLBACK), result_ttl=job.result_ttl,
        failure_ttl=job.failure_ttl, description=job.description,
        meta={"delivery_id": delivery_id(job), "attempts": job.meta.get("attempts", 0)})
    return when.isoformat()
