"""Request bodies the app refuses before any view reads them.

- A chunked body (no ``Content-Length``) is capped at ``CLAIMTRACK_MAX_BODY_BYTES`` while it is
  read: past the limit, 413. (Werkzeug cuts such a body at ``MAX_CONTENT_LENGTH`` without a
  word, and the view then sees truncated JSON.) The gunicorn worker (`service.serving`) refuses
  these bodies before the app is called; this is the app's own guard, for any server.
- A JSON body nested deeper than `MAX_JSON_DEPTH` is refused with 400 before the parser of the
  view, whose recursion would otherwise end in a RecursionError (a 500).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from .problems import abort

#: Deepest nesting of arrays and objects accepted in a JSON body; the API's documents need 3.
MAX_JSON_DEPTH = 32

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


TOO_LARGE = "claimtrack.body_too_large"


def read_capped(stream: Any, limit: int) -> bytes | None:
    """The whole body of unknown length, or None once it passes `limit` bytes."""
    parts, seen = [], 0
    while chunk := stream.read(min(64 * 1024, limit + 1 - seen)):
        parts.append(chunk)
        seen += len(chunk)
        if seen > limit:
            return None
    return b"".join(parts)


def size_unsized_bodies(wsgi_app: WsgiApp, limit: int) -> WsgiApp:
    """Read a body of unknown length (chunked) up to the limit before the app sees it, so that
    the app sees only sized bodies (Werkzeug would cut one at the limit silently)."""

    def sized(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
            body = read_capped(environ["wsgi.input"], limit)
            environ[TOO_LARGE] = body is None
            environ["wsgi.input"] = io.BytesIO(body or b"")
            environ["CONTENT_LENGTH"] = str(len(body or b""))
            del environ["wsgi.input_terminated"]
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores a length beside it
        return wsgi_app(environ, start_response)

    return sized


def refuse_bad_bodies() -> None:
    """413 for a chunked body past the limit, 400 for JSON nested too deep. A request without
    a body (most of them: every GET) is let through at once; `size_unsized_bodies` gave every
    body a length."""
    if not request.environ.get("CONTENT_LENGTH"):
        return
    if request.environ.get(TOO_LARGE):
        raise RequestEntityTooLarge(f"The request body is larger than {request.max_content_length} bytes.")
    refuse_deep_json()


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (iteratively: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def refuse_deep_json() -> None:
    """400 for a JSON body nested deeper than MAX_JSON_DEPTH. Bodies that do not parse are
    left to the view's parser, which answers them with its own 400."""
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error).lower():
            abort(400, f"The JSON body nests arrays and objects more than {MAX_JSON_DEPTH} deep.")
        return
    if json_depth(parsed) > MAX_JSON_DEPTH:
        abort(400, f"The JSON body nests arrays and objects more than {MAX_JSON_DEPTH} deep.")


def install(app: Flask, max_body_bytes: int) -> None:
    app.wsgi_app = size_unsized_bodies(app.wsgi_app, max_body_bytes)  # type: ignore[method-assign]
    app.before_request(refuse_bad_bodies)
