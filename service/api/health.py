"""Liveness and readiness probes for load balancers and orchestrators (no auth)."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from redis.exceptions import RedisError

from ..problems import TYPES, abort
from ..runtime import runtime

blp = Blueprint("health", __name__, description="Probes.")


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
def healthz() -> Any:
    """Liveness: the process answers (Redis is not checked)"""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def readyz() -> Any:
    """Readiness: 200 only while Redis answers"""
    try:
        runtime().repos.ping()
    except RedisError:
        abort(503, "Redis does not answer.", type=TYPES["unavailable"], headers={"Retry-After": "5"})
    return {"status": "ok"}
