"""Clusters: the same claim by the same speaker, wherever it appeared."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth import requires
from ..problems import abort
from ..runtime import runtime
from .claims import SpeakerSchema, VerificationSchema
from .fields import Timestamp

blp = Blueprint("clusters", __name__, url_prefix="/v1/clusters",
                description="Claims that say the same thing, and where they appeared.")


class AppearanceSchema(Schema):
    claim_id = fields.String(required=True)
    article_id = fields.String(required=True)
    url = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    published_at = Timestamp(allow_none=True)
    created_at = Timestamp(required=True)
    first = fields.Boolean(required=True, metadata={"description": "The earliest appearance (by publication "
                                                                   "time, else by arrival)."})


class ClusterSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "The claim as first published."})
    speaker = fields.Nested(SpeakerSchema, required=True)
    verification = fields.Nested(VerificationSchema, required=True,
                                 metadata={"description": "The verdict every claim of the cluster carries."})
    size = fields.Integer(required=True)
    appearances = fields.List(fields.Nested(AppearanceSchema), required=True)


@blp.route("/<cluster_id>", methods=["GET"])
@requires("read")
@blp.response(200, ClusterSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_cluster(cluster_id: str) -> Any:
    """Read a cluster and its appearances, first appearance first"""
    cluster = runtime().store.get_cluster(cluster_id)
    if cluster is None:
        abort(404, f"No cluster {cluster_id!r}.")
    return cluster
