"""Webhook delivery: one RQ job per (event, webhook), queued with the event itself.

The body is the event as JSON; ``X-Claimtrack-Signature: sha256=<hex>`` is the HMAC-SHA256
of the exact body bytes under the webhook's secret, so a receiver can check that the body came
from this service unaltered (compare with `hmac.compare_digest`). A delivery that gets no 2xx
answer raises, and RQ retries it after CLAIMTRACK_WEBHOOK_RETRY_INTERVALS; every attempt is
recorded and listed by ``GET /v1/webhooks/{id}/deliveries``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from rq import get_current_job

from service.config import Config
from service.store import utcnow

from .jobs import store_for

SIGNATURE_HEADER = "X-Claimtrack-Signature"
USER_AGENT = "Claimtrack-Webhooks/1"


class DeliveryFailed(Exception):
    """The receiver did not accept the event; RQ retries the job."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def deliver(webhook_id: str, event: dict[str, Any]) -> dict[str, Any]:
    job = get_current_job()
    assert job is not None, "deliver runs inside an RQ job"
    config = Config.from_env()
    store = store_for(job.connection)
    target = store.webhook_target(webhook_id)
    if target is None:
        return {"skipped": "webhook deleted"}
    url, secret = target
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Claimtrack-Event": event["type"],
        "X-Claimtrack-Delivery": job.id,
        SIGNATURE_HEADER: sign(secret, body),
    })
    job.meta["attempts"] = job.meta.get("attempts", 0) + 1
    job.save_meta()
    attempt = {"delivery_id": job.id, "event_id": event["id"], "event_type": event["type"], "at": utcnow(),
               "attempt": job.meta["attempts"]}
    started = time.monotonic()
    status, error = None, None
    try:
        with urllib.request.urlopen(request, timeout=config.webhook_timeout) as response:
            status = response.status
    except urllib.error.HTTPError as failure:
        status, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, OSError) as failure:
        error = f"{type(failure).__name__}: {getattr(failure, 'reason', failure)}"
    ok = status is not None and 200 <= status < 300
    store.record_delivery(webhook_id, {**attempt, "status_code": status, "ok": ok, "error": error,
                                       "duration_ms": round((time.monotonic() - started) * 1000, 1)})
    if not ok:
        raise DeliveryFailed(error or f"HTTP {status}")
    return {"status_code": status}
