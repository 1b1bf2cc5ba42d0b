"""Claims: read what was extracted, and record fact-checkers' verdicts with an audit trail."""
from __future__ import annotations

from datetime import timezone
from typing import Any

from flask import current_app, json, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..auth import principal, requires
from ..problems import TYPES, abort
from ..runtime import runtime
from ..claimreview import MEDIA_TYPE as CLAIMREVIEW_MEDIA_TYPE
from ..claimreview import claim_review
from ..store import (CLAIM_TYPES, SPEAKER_KINDS, VERDICTS, VERIFICATION_STATUSES, NotFound, VersionMismatch,
                     format_time, words)
from .fields import OUT_OF_UTC_RANGE, Text, Timestamp, in_utc_range
from .pagination import PageArgs, page_schema
from .requests import json_body, send

blp = Blueprint(
    "claims",
    __name__,
    url_prefix="/v1/claims",
    description="Claims found in articles, with their speakers and verification.",
)


class SpeakerSchema(Schema):
    id = fields.String(required=True, metadata={"description": "Stable across articles for a named speaker."})
    name = fields.String(required=True, metadata={"description": "Canonical name: the fullest the article gives."})
    mention = fields.String(required=True, metadata={"description": "The words the attribution used."})
    title = fields.String(allow_none=True, metadata={"description": "Role or title, kept out of the name."})
    kind = fields.String(required=True, validate=validate.OneOf(SPEAKER_KINDS))


class SpanSchema(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True, metadata={"description": "Exclusive: the claim is text[start:end]."})


class VerificationSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(VERIFICATION_STATUSES))
    note = fields.String(allow_none=True)
    evidence = fields.List(fields.String(), required=True)
    updated_by = fields.String(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class ClaimSchema(Schema):
    id = fields.String(required=True)
    article_id = fields.String(required=True)
    text = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(CLAIM_TYPES))
    speaker = fields.Nested(SpeakerSchema, required=True)
    cue = fields.String(required=True)
    span = fields.Nested(SpanSchema, required=True)
    confidence = fields.Float(required=True, metadata={"description": "In [0, 1]; higher is more often right."})
    cluster_id = fields.String(
        required=True,
        metadata={"description": "The claims that say the same thing (same speaker, near-identical text) "
                                 "share a cluster; a verdict applies to the whole cluster."},
    )
    verification = fields.Nested(VerificationSchema, required=True)
    created_at = Timestamp(required=True)
    version = fields.Integer(required=True, metadata={"description": "Also sent as the ETag."})


ClaimPageSchema = page_schema("ClaimPage", ClaimSchema)


class ClaimListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(VERIFICATION_STATUSES))
    type = fields.String(validate=validate.OneOf(CLAIM_TYPES))
    speaker = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={"description": "Speaker name as on the claim, case- and accent-insensitive."},
    )
    speaker_id = fields.String(validate=validate.Length(min=1, max=100),
                               metadata={"description": "Registry speaker (see /v1/speakers)."})
    article_id = fields.String(validate=validate.Length(min=1, max=100))
    cluster_id = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "Created at or after (ISO-8601)."})
    until = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "Created at or before (ISO-8601)."})
    q = fields.String(validate=validate.Length(min=1, max=500),
                      metadata={"description": "Words that must all appear in the claim text (case- and "
                                               "accent-insensitive; very common words are ignored)."})

    @validates_schema
    def _searchable(self, data: dict[str, Any], **_: Any) -> None:
        if "q" in data and not words(data["q"]):
            raise ValidationError("Give at least one word that is not a very common word.", "q")
        for name in ("since", "until"):
            if name in data and not in_utc_range(data[name]):
                raise ValidationError(OUT_OF_UTC_RANGE, name)


class VerificationInSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(VERIFICATION_STATUSES))
    note = Text(allow_none=True, validate=validate.Length(max=10_000))
    evidence = fields.List(
        fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2048)),
        load_default=list,
        validate=validate.Length(max=50),
    )


class HistoryEntrySchema(Schema):
    at = Timestamp(required=True)
    by = fields.String(allow_none=True, required=True,
                       metadata={"description": "Name of the API key that made the change."})
    from_ = fields.String(required=True, attribute="from", data_key="from", validate=validate.OneOf(VERIFICATION_STATUSES))
    to = fields.String(required=True, validate=validate.OneOf(VERIFICATION_STATUSES))
    note = fields.String(allow_none=True)
    evidence = fields.List(fields.String(), required=True)
    propagated_from = fields.String(
        metadata={"description": "Set on the other claims of a cluster: the claim whose update this was."})
    inherited_from = fields.String(
        metadata={"description": "Set when the claim joined a cluster that already had this verdict."})


class HistorySchema(Schema):
    items = fields.List(fields.Nested(HistoryEntrySchema), required=True)


def _etag(claim: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{claim["version"]}"'}


def _expected_versions() -> list[int] | None:
    """Versions an If-Match header accepts; None when any version will do."""
    if "If-Match" not in request.headers:
        return None
    tags = request.if_match
    if tags.star_tag:
        return None
    versions = [int(t) for t in tags.as_set(include_weak=True) if t.isdigit() and len(t) < 19]
    if not versions:
        abort(412, "If-Match must carry the claim's ETag, e.g. \"3\".", type=TYPES["stale"])
    return versions


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(ClaimListArgs(), location="query")
@blp.response(200, ClaimPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def list_claims(args: dict[str, Any]) -> Any:
    """List claims, newest first

    Filters combine (AND). A page can hold fewer than `limit` items while `next_cursor`
    is set; follow `next_cursor` until it is null.
    """
    rt = runtime()
    if "q" in args and not rt.config.search_index:
        abort(422, "This service keeps no search index (CLAIMTRACK_SEARCH_INDEX=off).", type=TYPES["validation"],
              title="Validation failed", errors={"q": ["Search is turned off on this service."]})
    page = rt.store.list_claims(
        status=args.get("status"),
        claim_type=args.get("type"),
        speaker=args.get("speaker"),
        speaker_id=args.get("speaker_id"),
        article_id=args.get("article_id"),
        cluster_id=args.get("cluster_id"),
        query=words(args["q"]) if "q" in args else (),
        since=format_time(args["since"]) if "since" in args else None,
        until=format_time(args["until"]) if "until" in args else None,
        cursor=args.get("cursor"),
        limit=args["limit"],
    )
    return send({"items": page.items, "next_cursor": page.next_cursor})


@blp.route("/<claim_id>", methods=["GET"])
@requires("read")
@blp.response(200, ClaimSchema, headers={"ETag": {"description": "The claim's version", "schema": {"type": "string"}}})
@blp.alt_response(404, response="NOT_FOUND")
def get_claim(claim_id: str) -> Any:
    """Read one claim"""
    claim = runtime().store.get_claim(claim_id)
    if claim is None:
        abort(404, f"No claim {claim_id!r}.")
    return send(claim, 200, _etag(claim))


@blp.route("/<claim_id>/verification", methods=["PATCH"])
@requires("verify")
@json_body
@blp.arguments(VerificationInSchema())
@blp.response(200, ClaimSchema, headers={"ETag": {"description": "The claim's new version", "schema": {"type": "string"}}})
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def update_verification(body: dict[str, Any], claim_id: str) -> Any:
    """Set a claim's verification status

    Send the claim's ETag in `If-Match` to make sure nobody changed it since you read it:
    a stale ETag gets 412 and changes nothing. The change is recorded in the claim's
    history with the API key's name and the time.
    """
    expected = _expected_versions()
    try:
        claim = runtime().store.update_verification(
            claim_id,
            status=body["status"],
            note=body.get("note"),
            evidence=body["evidence"],
            by=principal().name,
            expected_versions=expected,
        )
    except NotFound:
        abort(404, f"No claim {claim_id!r}.")
    except VersionMismatch as stale:
        abort(
            412,
            f"The claim changed since you read it (now version {stale.current}); read it again.",
            type=TYPES["stale"],
            title="Stale version",
            headers={"ETag": f'"{stale.current}"'},
        )
    return claim, 200, _etag(claim)


@blp.route("/<claim_id>/history", methods=["GET"])
@requires("read")
@blp.response(200, HistorySchema)
@blp.alt_response(404, response="NOT_FOUND")
def claim_history(claim_id: str) -> Any:
    """List a claim's verification changes, oldest first"""
    entries = runtime().store.history(claim_id)
    if entries is None:
        abort(404, f"No claim {claim_id!r}.")
    return {"items": entries}


class ClaimReviewSchema(Schema):
    class Meta:
        unknown = "include"

    context = fields.String(data_key="@context", required=True)
    type_ = fields.String(data_key="@type", required=True)
    claimReviewed = fields.String(required=True)
    datePublished = fields.String(allow_none=True)
    author = fields.Dict(required=True, metadata={"description": "The reviewing organisation (configuration)."})
    itemReviewed = fields.Dict(required=True, metadata={"description": "A schema.org Claim; its author is the "
                                                                       "speaker, with the appearances."})
    reviewRating = fields.Dict(required=True, metadata={"description": "ratingValue 1-5 (false .. true); "
                                                                       "misleading and unverifiable carry only "
                                                                       "alternateName."})


@blp.route("/<claim_id>/claimreview", methods=["GET"])
@requires("read")
@blp.response(200, ClaimReviewSchema, content_type=CLAIMREVIEW_MEDIA_TYPE)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def claim_review_of(claim_id: str) -> Any:
    """schema.org ClaimReview (JSON-LD) of a claim with a verdict"""
    rt = runtime()
    claim = rt.store.get_claim(claim_id)
    if claim is None:
        abort(404, f"No claim {claim_id!r}.")
    if claim["verification"]["status"] not in VERDICTS:
        abort(409, f"The claim has no verdict yet (status {claim['verification']['status']!r}); set one with "
                   "PATCH /v1/claims/{id}/verification first.", type=TYPES["no_verdict"], title="No verdict yet")
    cluster = rt.store.get_cluster(claim["cluster_id"])
    document = claim_review(claim, cluster, rt.config.reviewer_name, rt.config.reviewer_url or None)
    response = current_app.response_class(json.dumps(document, ensure_ascii=False), mimetype=CLAIMREVIEW_MEDIA_TYPE)
    return response
