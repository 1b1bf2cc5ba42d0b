"""Clusters: the same claim by the same speaker, wherever it appeared, and the verifiers'
decisions to link a similar claim into one or split a claim out of one."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth import principal, requires
from ..problems import TYPES, abort
from ..runtime import runtime
from ..store import STANCES, Conflict, NotFound
from .claims import ClaimSchema, SpeakerSchema, VerificationSchema, missing_claim, send_claim
from .fields import Timestamp
from .requests import json_body

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


class ClusterLogEntrySchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("linked", "unlinked", "split")),
                           metadata={"description": "`linked`: a verifier put the claim in this cluster; "
                                                    "`unlinked`: it was linked into another; `split`: it was "
                                                    "taken out into a cluster of its own."})
    claim_id = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "The API key's name (`migration` for the upgrade "
                                                               "that split clusters formed under the old rule)."})
    at = Timestamp(required=True)
    from_cluster = fields.String()
    to_cluster = fields.String()
    reason = fields.String()


class ClusterSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "The claim as first published."})
    speaker = fields.Nested(SpeakerSchema, required=True)
    stance = fields.String(required=True, validate=validate.OneOf(STANCES))
    verification = fields.Nested(VerificationSchema, required=True,
                                 metadata={"description": "The verdict every claim of the cluster carries."})
    size = fields.Integer(required=True)
    appearances = fields.List(fields.Nested(AppearanceSchema), required=True)
    log = fields.List(fields.Nested(ClusterLogEntrySchema), required=True)


class LinkSchema(Schema):
    claim_id = fields.String(required=True, validate=validate.Length(min=1, max=100))


@blp.route("/<cluster_id>", methods=["GET"])
@requires("read")
@blp.response(200, ClusterSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_cluster(cluster_id: str) -> Any:
    """Read a cluster and its appearances, first appearance first"""
    cluster = runtime().repos.clusters.get(cluster_id)
    if cluster is None:
        abort(404, f"No cluster {cluster_id!r}.")
    return cluster


@blp.route("/<cluster_id>/claims", methods=["POST"])
@requires("verify")
@json_body
@blp.arguments(LinkSchema())
@blp.response(200, ClaimSchema, description="The claim, now in the cluster (or already there).")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def link_claim(body: dict[str, Any], cluster_id: str) -> Any:
    """Confirm a suggestion: put a claim into this cluster

    The claim leaves its cluster and takes this one's verification (its earlier verdict
    stays in its history). Its history and the cluster's log say who linked it and when.
    Only a claim of the same speaker with the same stance can be linked (409 otherwise):
    see `GET /v1/claims/{id}/similar` for candidates.
    """
    rt = runtime()
    try:
        rt.repos.clusters.link(cluster_id, body["claim_id"], by=principal().name)
    except NotFound as missing:
        if str(missing).startswith("clm_"):
            missing_claim(str(missing))
        abort(404, f"No cluster {str(missing)!r}.")
    except Conflict as refused:
        abort(409, f"The claim cannot join this cluster: {refused}.", type=TYPES["not_linkable"],
              title="Not linkable")
    return send_claim(body["claim_id"])


@blp.route("/<cluster_id>/claims/<claim_id>", methods=["DELETE"])
@requires("verify")
@blp.response(200, ClaimSchema, description="The claim, now alone in a cluster of its own.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
def split_claim(cluster_id: str, claim_id: str) -> Any:
    """Split a claim out of this cluster into a cluster of its own

    The claim keeps its current verification; later verdicts on the cluster no longer reach
    it. Its history and the cluster's log say who split it and when.
    """
    rt = runtime()
    try:
        rt.repos.clusters.split(cluster_id, claim_id, by=principal().name)
    except NotFound:
        if rt.repos.claims.tombstone(claim_id) is not None:
            missing_claim(claim_id)
        abort(404, f"No claim {claim_id!r} in cluster {cluster_id!r}.")
    except Conflict as refused:
        abort(409, f"Nothing to split: {refused}.")
    return send_claim(claim_id)
