"""Field types shared by the API's schemas."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError, fields

OUT_OF_UTC_RANGE = "Date is out of range once converted to UTC."


def in_utc_range(value: datetime) -> bool:
    """Whether an aware date still exists in UTC: an offset can push a date near the end of
    the calendar past datetime's range, and such a date can be neither stored nor compared."""
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        return False
    return True


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
