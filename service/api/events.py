"""The change feed: every change, once, in order, for systems that poll."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth import requires
from ..runtime import runtime
from ..store import EVENT_TYPES
from .fields import Timestamp
from .pagination import page_schema

blp = Blueprint("events", __name__, url_prefix="/v1/events",
                description="Changes, oldest first; keep the cursor and poll with it.")


class EventArgs(Schema):
    after = fields.String(validate=validate.Length(min=1, max=200),
                          metadata={"description": "`next_cursor` of the previous call; without it the feed "
                                                   "starts at its oldest retained event."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class EventSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    at = Timestamp(required=True)
    data = fields.Dict(required=True, metadata={"description": "Ids of what changed (and the change)."})


EventPageSchema = page_schema("EventPage", EventSchema, "Where to continue; null only while the feed is empty.")


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(EventArgs(), location="query")
@blp.response(200, EventPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(410, response="GONE")
def list_events(args: dict[str, Any]) -> Any:
    """Read the change feed

    A poller that passes back each `next_cursor` sees every event exactly once. Events are
    kept for CLAIMTRACK_EVENT_RETENTION_DAYS (default 7); a cursor older than that gets 410.
    """
    page = runtime().repos.events.read(after=args.get("after"), limit=args["limit"])
    return {"items": page.items, "next_cursor": page.next_cursor}
