"""Managed API keys: create and revoke keys while the service runs (admin only).

Rotating a key: create a new one with the same name, switch the client over, delete the
old one. No process restarts. The secret is shown once, in the creation response; Redis
keeps only its SHA-256 digest.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth import ROLES, new_secret, requires, secret_digest
from ..problems import abort
from ..runtime import runtime
from .fields import Timestamp
from .requests import json_body

blp = Blueprint("keys", __name__, url_prefix="/v1/keys", description="API keys managed at run time (admin).")


class KeyInSchema(Schema):
    name = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=100), validate.Regexp(r"^[A-Za-z0-9._@-]+$")],
        metadata={"description": "Recorded as `by` in claim histories; several managed keys may share "
                                 "it, but not a name of a key from CLAIMTRACK_API_KEYS (409)."},
    )
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))


class KeySchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)


class NewKeySchema(KeySchema):
    secret = fields.String(required=True, metadata={"description": "Shown only in this response."})


class KeyListSchema(Schema):
    items = fields.List(fields.Nested(KeySchema), required=True)


@blp.route("", methods=["POST"])
@requires("admin")
@json_body
@blp.arguments(KeyInSchema())
@blp.response(201, NewKeySchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def create_key(body: dict[str, Any]) -> Any:
    """Create an API key

    The response is the only time the secret is shown. The name may not be one of a key
    configured in CLAIMTRACK_API_KEYS: the audit trail must tell the two apart.
    """
    if body["name"] in runtime().api_keys.names():
        abort(409, f"{body['name']!r} is the name of a configured key; choose another name.")
    secret = new_secret()
    roles = sorted(set(body["roles"]), key=ROLES.index)
    record = runtime().repos.api_keys.add(body["name"], roles, secret_digest(secret))
    return {**record, "secret": secret}


@blp.route("", methods=["GET"])
@requires("admin")
@blp.response(200, KeyListSchema)
def list_keys() -> Any:
    """List managed API keys (never their secrets; keys from CLAIMTRACK_API_KEYS are not listed)"""
    return {"items": runtime().repos.api_keys.list()}


@blp.route("/<key_id>", methods=["DELETE"])
@requires("admin")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def delete_key(key_id: str) -> Any:
    """Revoke an API key at once"""
    if not runtime().repos.api_keys.delete(key_id):
        abort(404, f"No managed key {key_id!r}.")
    return None
