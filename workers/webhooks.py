"""Webhook delivery: one RQ job per (event, webhook), queued with the event itself.

The body is the event as JSON, signed the Standard Webhooks way (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``; `workers.delivery`), with the event id as
``webhook-id`` on every attempt so that receivers can drop repeats. A delivery that gets no 2xx
answer raises, and RQ retries it after CLAIMTRACK_WEBHOOK_RETRY_INTERVALS; every attempt is
recorded and listed by ``GET /v1/webhooks/{id}/deliveries``.
"""
from __future__ import annotations

import json
import time
from typing import Any

from rq import get_current_job

from service.store import utcnow

from . import delivery
from . import context


class DeliveryFailed(Exception):
    """The receiver did not accept the event; RQ retries the job."""


def deliver(webhook_id: str, event: dict[str, Any]) -> dict[str, Any]:
    job = get_current_job()
    assert job is not None, "deliver runs inside an RQ job"
    config = context.config()
    repos = context.repositories()
    target = repos.webhooks.target(webhook_id)
    if target is None:
        return {"skipped": "webhook deleted"}
    url, secrets = target
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"X-Claimtrack-Event": event["type"], **delivery.signature_headers(event["id"], body, secrets)}
    job.meta["attempts"] = job.meta.get("attempts", 0) + 1
    job.save_meta()
    attempt = {"delivery_id": job.id, "event_id": event["id"], "event_type": event["type"], "at": utcnow(),
               "attempt": job.meta["attempts"]}
    started = time.monotonic()
    outcome = delivery.post(url, body, headers, timeout=config.webhook_timeout, allow=config.webhook_allow_list())
    repos.webhooks.record_delivery(webhook_id, {**attempt, "status_code": outcome.status_code, "ok": outcome.ok,
                                       "error": outcome.error,
                                       "duration_ms": round((time.monotonic() - started) * 1000, 1)})
    if not outcome.ok:
        raise DeliveryFailed(outcome.error)
    return {"status_code": outcome.status_code}
