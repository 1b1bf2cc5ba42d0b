"""Cursor pagination shared by the list endpoints.

Cursors are opaque strings issued by the store; a page may hold fewer than `limit` items
while `next_cursor` is not null (a filtered walk stops after a bounded amount of work), so
clients follow `next_cursor` until it is null.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageArgs(Schema):
    cursor = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "`next_cursor` of the previous page."},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (default {DEFAULT_LIMIT}, max {MAX_LIMIT})."},
    )


def page_schema(name: str, item: type[Schema], cursor: str = "Null on the last page.") -> type[Schema]:
    """The page of `item`s a list endpoint answers; `cursor` describes its `next_cursor`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(required=True, allow_none=True, metadata={"description": cursor}),
        },
        name=name,
    )
