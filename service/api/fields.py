"""Field types shared by the API's schemas."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields


class Text(fields.String):
    """A string that must be storable as UTF-8.

    JSON can carry lone surrogates (``"\\ud800"``); Python accepts them, Redis and every
    client downstream would not, so they are refused at the door.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Not valid Unicode text (lone surrogate).") from None
        return text


class Timestamp(fields.String):
    """An ISO-8601 UTC timestamp, as stored (``2026-01-31T09:15:00.000Z``)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"format": "date-time", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
