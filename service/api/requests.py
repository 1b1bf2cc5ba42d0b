"""Checks on request bodies that come before schema validation."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request

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
