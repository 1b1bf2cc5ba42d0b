"""Webhooks: events pushed to other systems, signed, retried, with a delivery log (admin)."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth import requires
from ..problems import abort
from ..runtime import runtime
from ..store import EVENT_TYPES
from .fields import Text, Timestamp
from .requests import json_body

blp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks",
                description="Push events to your endpoint. Each delivery is a JSON POST of one event, "
                            "signed in `X-Claimtrack-Signature: sha256=<hex HMAC-SHA256 of the body under "
                            "the secret>`, retried with back-off until it gets a 2xx answer.")


class WebhookInSchema(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=2048))
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)))
    secret = Text(required=True, validate=validate.Length(min=16, max=256),
                  metadata={"description": "Shared secret for the signature; at least 16 characters."})


class WebhookSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema), required=True)


class DeliverySchema(Schema):
    delivery_id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    attempt = fields.Integer(required=True)
    at = Timestamp(required=True)
    status_code = fields.Integer(allow_none=True)
    ok = fields.Boolean(required=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Float(required=True)


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


@blp.route("", methods=["POST"])
@requires("admin")
@json_body
@blp.arguments(WebhookInSchema())
@blp.response(201, WebhookSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def create_webhook(body: dict[str, Any]) -> Any:
    """Register a webhook for some event types"""
    return runtime().store.add_webhook(body["url"], body["events"], body["secret"])


@blp.route("", methods=["GET"])
@requires("admin")
@blp.response(200, WebhookListSchema)
def list_webhooks() -> Any:
    """List webhooks (never their secrets)"""
    return {"items": runtime().store.list_webhooks()}


@blp.route("/<webhook_id>", methods=["DELETE"])
@requires("admin")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def delete_webhook(webhook_id: str) -> Any:
    """Delete a webhook; deliveries still queued for it are dropped"""
    if not runtime().store.delete_webhook(webhook_id):
        abort(404, f"No webhook {webhook_id!r}.")
    return None


@blp.route("/<webhook_id>/deliveries", methods=["GET"])
@requires("admin")
@blp.response(200, DeliveryListSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_deliveries(webhook_id: str) -> Any:
    """List a webhook's delivery attempts, newest first (the last 200)"""
    attempts = runtime().store.deliveries(webhook_id)
    if attempts is None:
        abort(404, f"No webhook {webhook_id!r}.")
    return {"items": attempts}
