"""Webhooks: events pushed to other systems, signed, retried, with a delivery log (admin)."""
from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from ..auth import requires
from ..problems import TYPES, abort
from ..runtime import runtime
from ..store import EVENT_TYPES
from ..webhook_targets import RefusedTarget, check
from .fields import Timestamp, WebUrl
from .requests import json_body

blp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks",
                description="Push events to your endpoint. Each delivery is a JSON POST of one event, "
                            "signed as Standard Webhooks specify (`webhook-id`, `webhook-timestamp`, "
                            "`webhook-signature`), retried with back-off until it gets a 2xx answer. "
                            "URLs that are or resolve to non-public addresses are refused unless "
                            "CLAIMTRACK_WEBHOOK_ALLOW_HOSTS lists them.")

#: Seconds a rotated-out secret still signs deliveries, beside the new one.
ROTATION_GRACE = 24 * 3600
SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _standard_secret(value: str) -> None:
    try:
        key = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not value.startswith(SECRET_PREFIX) or not 24 <= len(key) <= 64:
        raise ValidationError("A Standard Webhooks secret: 'whsec_' and the base64 of 24 to 64 random bytes.")


class WebhookInSchema(Schema):
    url = WebUrl(required=True, require_tld=False, validate=validate.Length(max=2048))
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)))
    secret = fields.String(validate=[validate.Length(max=100), _standard_secret], metadata={
        "description": "Signing secret, `whsec_` + base64 of 24-64 random bytes; generated when left out.",
        "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})


class WebhookSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(required=True, metadata={
        "description": "The signing secret; shown only in this response."})


class RotatedSecretSchema(NewWebhookSchema):
    previous_secret_expires_at = Timestamp(required=True, metadata={
        "description": "Until then deliveries carry a second signature, under the previous secret."})


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
@blp.response(201, NewWebhookSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def create_webhook(body: dict[str, Any]) -> Any:
    """Register a webhook for some event types

    The response is the only time the signing secret is shown. A URL whose host is or
    resolves to a loopback, private, link-local, multicast or reserved address is refused
    (422) unless CLAIMTRACK_WEBHOOK_ALLOW_HOSTS lists it.
    """
    rt = runtime()
    try:
        check(body["url"], rt.config.webhook_allow_list())
    except RefusedTarget as refused:
        abort(422, "The request has invalid fields; see errors.", type=TYPES["validation"],
              title="Validation failed", errors={"url": [f"Not a URL webhooks may call: {refused}."]})
    secret = body.get("secret") or new_webhook_secret()
    return {**rt.repos.webhooks.add(body["url"], body["events"], secret), "secret": secret}


@blp.route("/<webhook_id>/rotate-secret", methods=["POST"])
@requires("admin")
@blp.response(200, RotatedSecretSchema)
@blp.alt_response(404, response="NOT_FOUND")
def rotate_secret(webhook_id: str) -> Any:
    """Give a webhook a new signing secret

    The new secret is shown only in this response. For 24 hours deliveries are signed with
    both secrets (two signatures in `webhook-signature`), so receivers can switch over
    without dropping events.
    """
    secret = new_webhook_secret()
    rotated = runtime().repos.webhooks.rotate_secret(webhook_id, secret, ROTATION_GRACE)
    if rotated is None:
        abort(404, f"No webhook {webhook_id!r}.")
    return {**rotated, "secret": secret}


@blp.route("", methods=["GET"])
@requires("admin")
@blp.response(200, WebhookListSchema)
def list_webhooks() -> Any:
    """List webhooks (never their secrets)"""
    return {"items": runtime().repos.webhooks.list()}


@blp.route("/<webhook_id>", methods=["DELETE"])
@requires("admin")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def delete_webhook(webhook_id: str) -> Any:
    """Delete a webhook; deliveries still queued for it are dropped"""
    if not runtime().repos.webhooks.delete(webhook_id):
        abort(404, f"No webhook {webhook_id!r}.")
    return None


@blp.route("/<webhook_id>/deliveries", methods=["GET"])
@requires("admin")
@blp.response(200, DeliveryListSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_deliveries(webhook_id: str) -> Any:
    """List a webhook's delivery attempts, newest first (the last 200)"""
    attempts = runtime().repos.webhooks.deliveries(webhook_id)
    if attempts is None:
        abort(404, f"No webhook {webhook_id!r}.")
    return {"items": attempts}
