"""Field types shared by the API's schemas."""
from __future__ import annotations

import re
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


def _storable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Not valid Unicode text (lone surrogate).") from None
    return text


class Text(fields.String):
    """A string that must be storable as UTF-8.

    JSON can carry lone surrogates (``"\\ud800"``); Python accepts them, Redis and every
    client downstream would not, so they are refused at the door.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _storable(super()._deserialize(value, attr, data, **kwargs))


#: C0 controls, DEL and C1 controls: never part of a URL (RFC 3986 has them percent-encoded),
#: and a NUL or a CR/LF passed on to a log, a header or an HTTP request line does harm.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class WebUrl(fields.Url):
    """An http(s) URL as the API stores it: storable as UTF-8 (marshmallow's URL check lets a
    lone surrogate through, which then fails when the record is written, a 500) and free of
    control characters (its check lets some through, such as NUL)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("schemes", {"http", "https"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            _storable(value)
            if _CONTROL.search(value):
                raise ValidationError("Not a valid URL: it holds a control character.")
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


class Timestamp(fields.String):
    """An ISO-8601 UTC timestamp, as stored (``2026-01-31T09:15:00.000Z``)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"format": "date-time", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
