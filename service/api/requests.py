"""What every request body must be, and how the hot endpoints write their answers."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

import orjson
from flask import Response, request

from ..problems import abort

F = TypeVar("F", bound=Callable[..., Any])


def json_body(view: F) -> F:
    """415 for a body that is not declared as JSON, instead of a confusing
    "missing field" error from a parser that ignored it."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not request.is_json:
            abort(415, "Send the body as JSON with Content-Type: application/json.")
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def send(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response from a record that is already in its documented shape.

    The hot endpoints answer this way instead of through their marshmallow schema, which
    costs more than all the rest of a list request; the schemas still document the
    responses, and tests/test_schemathesis.py checks every answer against them.
    """
    return Response(orjson.dumps(data), status=status, headers=dict(headers or {}), mimetype="application/json")
