"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns goes through `problem()`, whether it was raised by a view, by
webargs validation, by Werkzeug (404, 405, 413) or by an outage of Redis, so clients can
rely on one shape: ``type``, ``title``, ``status``, ``detail`` and, for validation errors,
``errors`` mapping each field to its messages.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, NoReturn

from flask import Flask, Response, g, json
from marshmallow import Schema, fields
from redis.exceptions import ClusterError, RedisClusterException
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

MEDIA_TYPE = "application/problem+json"
#: app.extensions entry of the app's `OutageLog`.
OUTAGES = "claimtrack.outages"
log = logging.getLogger("claimtrack.api")

#: Problem types that carry more meaning than their status code alone (documented in docs/api.md).
TYPES = {
    "validation": "/problems/validation-error",
    "stale": "/problems/stale-version",
    "unavailable": "/problems/storage-unavailable",
    "rate_limited": "/problems/rate-limited",
    "cursor_expired": "/problems/cursor-expired",
    "no_verdict": "/problems/no-verdict",
    "no_review_url": "/problems/no-review-url",
    "not_linkable": "/problems/not-linkable",
    "deleted": "/problems/deleted",
}


class ProblemSchema(Schema):
    """The body of every error response."""

    type = fields.String(required=True, metadata={"example": "/problems/validation-error"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Field name to its messages (validation errors only)."},
    )
    request_id = fields.String()
    deleted_at = fields.String(metadata={"description": "410 for a taken-down article or its claims: when."})
    deleted_by = fields.String(metadata={"description": "410 for a taken-down article or its claims: who."})


class Problem(HTTPException):
    """Raise to end a request with a problem response."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        title: str | None = None,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.extra = dict(extra or {})
        self.code = status
        self.problem_type = type
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.extra_headers = dict(headers or {})


def abort(status: int, detail: str | None = None, **kwargs: Any) -> NoReturn:
    raise Problem(status, detail, **kwargs)


def problem(
    status: int,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    title: str | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": type, "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_validation(messages: Mapping[str, Any]) -> dict[str, Any]:
    """webargs groups messages by location ({"json": {"text": [...]}}); clients want fields."""
    flat: dict[str, Any] = {}
    for location, value in messages.items():
        if isinstance(value, Mapping):
            for name, msgs in value.items():
                flat[name if name != "_schema" else location] = msgs
        else:
            flat[location] = value
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    if isinstance(error, Problem):
        return problem(
            error.code,
            error.description,
            type=error.problem_type,
            title=error.title,
            errors=error.errors,
            headers=error.extra_headers,
            extra=error.extra,
        )
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    headers = dict(data.get("headers") or {})
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(allowed)
    if messages:
        errors = _flatten_validation(messages)
        if status == 422:
            return problem(422, "The request has invalid fields; see errors.", type=TYPES["validation"],
                           title="Validation failed", errors=errors, headers=headers)
        detail = "; ".join(
            str(m) for msgs in errors.values() for m in (msgs if isinstance(msgs, list) else [msgs])
        )
        return problem(status, detail, headers=headers)
    if isinstance(error, InternalServerError):
        return problem(500, "An unexpected error occurred; it has been logged.")
    return problem(status, error.description, headers=headers)


#: Seconds a client is told to wait (Retry-After) when Redis is unavailable; also how often an
#: outage is logged.
OUTAGE_RETRY_AFTER = 5


class OutageLog:
    """One warning line per interval while Redis is unavailable, however many requests meet
    the outage: an expected outage is a state to report, not an error per request, and never
    a traceback."""

    def __init__(self, interval: float = OUTAGE_RETRY_AFTER) -> None:
        self.interval = interval
        self.next_at = 0.0
        self.unreported = 0
        self.lock = threading.Lock()

    def record(self, error: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.unreported += 1
            if now < self.next_at:
                return
            count, self.unreported, self.next_at = self.unreported, 0, now + self.interval
        log.warning("redis unavailable (%s): answering 503; %d request(s) since the last report",
                    error.__class__.__name__, count)


def redis_down(error: Exception, outages: OutageLog | None = None) -> Response:
    """The answer to a request that met a Redis outage: 503 with Retry-After."""
    if outages is not None:
        outages.record(error)
    return problem(
        503,
        "The service's storage is unavailable; retry shortly.",
        type=TYPES["unavailable"],
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER)},
    )


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "An unexpected error occurred; it has been logged.")


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    outages = OutageLog()
    app.extensions[OUTAGES] = outages
    app.register_error_handler(RedisConnectionError, lambda error: redis_down(error, outages))
    app.register_error_handler(RedisTimeoutError, lambda error: redis_down(error, outages))
    # A Redis Cluster with a node down or its slots moving (CLAIMTRACK_REDIS_CLUSTER).
    app.register_error_handler(ClusterError, lambda error: redis_down(error, outages))
    app.register_error_handler(RedisClusterException, lambda error: redis_down(error, outages))
    app.register_error_handler(Exception, handle_unexpected)
