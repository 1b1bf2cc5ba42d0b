"""Structured (JSON) logs, one line per event, and the request id that ties them together.

Log records never carry request bodies or headers, so neither article text nor API
secrets reach the logs; values are JSON-encoded, so nothing a client sends can forge a
log line.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_ENVIRON = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
#: RQ colours parts of its messages for terminals; the escapes mean nothing in a JSON log.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _ANSI.sub("", record.getMessage()),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


def configure(level: str = "INFO") -> None:
    """Send every logger of the process to stderr as JSON, Python's warnings and uncaught
    exceptions included (they would otherwise print free text)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught


def _log_uncaught(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    logging.getLogger("claimtrack").critical("uncaught exception", exc_info=(kind, error, tb))


def install(app: Flask) -> None:
    access = logging.getLogger("claimtrack.access")

    @app.before_request
    def _start() -> None:
        # The environ's entry rather than request.headers: every request asks, most without one.
        given = request.environ.get(_REQUEST_ID_ENVIRON)
        g.request_id = given if given and _CLIENT_REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        if not access.isEnabledFor(logging.INFO):
            return response
        principal = g.get("principal")
        access.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
                "principal": principal.name if principal else None,
            },
        )
        return response
