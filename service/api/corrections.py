"""Reviewers correct the extractor: a claim's speaker, span, stance and type; claims it missed;
articles marked reviewed; claims assigned to reviewers, one at a time or in bulk.

A corrected field is the reviewer's from then on: re-extracting the article never writes it
again, and a new revision keeps a corrected claim while its words are still in the text (see
docs/corrections.md). Every correction is in the claim's history (who, when, what changed) and
in the change feed as `claim.corrected`.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..auth import principal, requires
from ..problems import abort
from ..runtime import runtime
from ..store.bulk import BULK_ACTIONS, apply as apply_bulk
from ..store import CLAIM_TYPES, SPEAKER_KINDS, STANCES, Conflict, NotFound, VersionMismatch
from .claims import CLAIM_ETAG, ClaimSchema, IfMatchArgs, expected_versions, missing_claim, send_claim, stale_version
from .fields import Text
from .requests import json_body, send

blp = Blueprint(
    "corrections",
    __name__,
    url_prefix="/v1",
    description="Reviewers' corrections of extracted claims, reviewed articles and assignments.",
)

REFUSED = "/problems/correction-refused"
#: Claims one bulk request may act on.
MAX_BULK = 200


class SpeakerChoiceSchema(Schema):
    """A registry speaker by `id`, or a new speaker by `name` and `kind` (and `title`)."""

    id = fields.String(validate=validate.Length(min=1, max=100),
                       metadata={"description": "A registry speaker (GET /v1/speakers?q=... finds one)."})
    name = Text(validate=validate.Length(min=1, max=300),
                metadata={"description": "A new speaker's name (the fullest form, without title)."})
    kind = fields.String(validate=validate.OneOf(SPEAKER_KINDS), metadata={"description": "A new speaker's kind."})
    title = Text(allow_none=True, validate=validate.Length(max=300),
                 metadata={"description": "The speaker's role or title as this article gives it."})

    @validates_schema
    def _one_speaker(self, data: dict[str, Any], **_: Any) -> None:
        if "id" in data and ("name" in data or "kind" in data):
            raise ValidationError("Give either `id` or `name` and `kind`, not both.", "id")
        if "id" not in data and not ("name" in data and "kind" in data and data["name"].strip()):
            raise ValidationError("Give `id` (a registry speaker) or `name` and `kind` (a new one).", "name")


class SpanInSchema(Schema):
    start = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    end = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000_000),
                         metadata={"description": "Exclusive: the claim's words are the article's text[start:end]."})


class CorrectionSchema(Schema):
    """Only the fields sent are corrected."""

    speaker = fields.Nested(SpeakerChoiceSchema)
    span = fields.Nested(SpanInSchema, metadata={
        "description": "New start and end in the article's current text; the claim's text becomes the words "
                       "there. A span overlapping another claim of the article is refused (409)."})
    stance = fields.String(validate=validate.OneOf(STANCES))
    type = fields.String(validate=validate.OneOf(CLAIM_TYPES))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Give at least one of speaker, span, stance, type.", "_schema")


class NewClaimSchema(Schema):
    span = fields.Nested(SpanInSchema, required=True)
    speaker = fields.Nested(SpeakerChoiceSchema, required=True)
    stance = fields.String(load_default="asserts", validate=validate.OneOf(STANCES))
    type = fields.String(load_default="indirect", validate=validate.OneOf(CLAIM_TYPES))


class ReviewInSchema(Schema):
    reviewed = fields.Boolean(required=True, metadata={"description": "false takes a mark back."})
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class ReviewEntrySchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("reviewed", "unreviewed")))
    by = fields.String(required=True)
    at = fields.String(required=True)
    revision = fields.Integer(required=True)
    note = fields.String(allow_none=True)


class ReviewSchema(Schema):
    reviewed = fields.Boolean(required=True, metadata={
        "description": "Marked reviewed on the article's current revision (a revision of the text ends a mark)."})
    by = fields.String(allow_none=True, required=True)
    at = fields.String(allow_none=True, required=True)
    revision = fields.Integer(allow_none=True, required=True, metadata={"description": "The revision marked."})
    history = fields.List(fields.Nested(ReviewEntrySchema), required=True, metadata={
        "description": "Every mark and its withdrawal, oldest first."})


class AssigneeInSchema(Schema):
    assignee = fields.String(allow_none=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "A reviewer's name (an API key's name); null unassigns; left out: the caller."})


class AssignmentSchema(Schema):
    claim_id = fields.String(required=True)
    assignee = fields.String(allow_none=True, required=True)


class BulkInSchema(Schema):
    claim_ids = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                            validate=validate.Length(min=1, max=MAX_BULK))
    action = fields.String(required=True, validate=validate.OneOf(BULK_ACTIONS), metadata={
        "description": "`assign` (to `assignee`, or the caller), `unassign`, or `not_a_claim` (the verification "
                       "status of an extraction mistake, recorded in each claim's history)."})
    assignee = fields.String(validate=validate.Length(min=1, max=100))


class BulkResultSchema(Schema):
    done = fields.List(fields.String(), required=True, metadata={"description": "Claims acted on."})
    missing = fields.List(fields.String(), required=True, metadata={"description": "Ids of no claim."})


def _refused(reason: object) -> Any:
    abort(409, f"Not corrected: {reason}.", type=REFUSED, title="Correction refused")


@blp.route("/claims/<claim_id>/correction", methods=["PATCH"])
@requires("verify")
@json_body
@blp.arguments(IfMatchArgs(), location="headers")
@blp.arguments(CorrectionSchema())
@blp.response(200, ClaimSchema, headers=CLAIM_ETAG)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def correct_claim(_: dict[str, Any], body: dict[str, Any], claim_id: str) -> Any:
    """Correct a claim's speaker, span, stance or type

    Only the fields sent change. `speaker` is a registry speaker (`{"id": ...}`) or a new one
    (`{"name", "kind", "title"}`); the speaker's other claims are not touched. `span` is a new
    start and end in the article's current text. The claim keeps its id, verdict and history;
    it leaves its cluster when its speaker, stance or words change, and joins the cluster of
    the same claim by its new speaker and words when it has no verdict of its own.

    A corrected field is the reviewer's from then on: re-extraction never writes it again. The
    change is recorded in the claim's history (`corrected`: each field's old and new value) and
    as a `claim.corrected` event. Refusals (a span that overlaps another claim or is not inside
    the text, an unknown speaker, a new speaker whose name the registry has) are 409
    `/problems/correction-refused`. Send the claim's ETag in `If-Match`: a stale one gets 412.
    """
    expected = expected_versions()
    try:
        runtime().repos.corrections.correct(claim_id, body, by=principal().name, expected_versions=expected)
    except NotFound:
        missing_claim(claim_id)
    except VersionMismatch as stale:
        stale_version(stale.current)
    except Conflict as refused:
        _refused(refused)
    return send_claim(claim_id)


@blp.route("/articles/<article_id>/claims", methods=["POST"])
@requires("verify")
@json_body
@blp.arguments(NewClaimSchema())
@blp.response(201, ClaimSchema, headers=CLAIM_ETAG)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def add_claim(body: dict[str, Any], article_id: str) -> Any:
    """Add a claim the extractor missed

    The claim is the article's words at `span` (in its current text), said by `speaker` (a
    registry speaker or a new one, as in a correction); it is marked `origin: reviewer`, and
    re-extraction keeps it while its words are in the text. A span overlapping another claim
    is refused (409), as is an article whose extraction is not done.
    """
    try:
        fields_ = runtime().repos.corrections.add(article_id, body, by=principal().name)
    except NotFound:
        abort(404, f"No article {article_id!r}.")
    except Conflict as refused:
        _refused(refused)
    return send_claim(fields_["id"], 201)


@blp.route("/articles/<article_id>/review", methods=["GET"])
@requires("read")
@blp.response(200, ReviewSchema)
@blp.alt_response(404, response="NOT_FOUND")
def article_review(article_id: str) -> Any:
    """Read whether an article is marked reviewed, with its marks' history"""
    review = runtime().repos.reviews.get(article_id)
    if review is None:
        abort(404, f"No article {article_id!r}.")
    return send(review.as_dict())


@blp.route("/articles/<article_id>/review", methods=["PUT"])
@requires("verify")
@json_body
@blp.arguments(ReviewInSchema())
@blp.response(200, ReviewSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def mark_reviewed(body: dict[str, Any], article_id: str) -> Any:
    """Mark an article reviewed, or take the mark back

    Says that the article's claims are as they should be: what `export-gold` writes as
    evaluation data. The mark is on the current revision (a revised text needs reviewing
    again), recorded in the article's history, and sent as an `article.reviewed` event.
    """
    try:
        review = runtime().repos.reviews.mark(article_id, body["reviewed"], by=principal().name,
                                              note=body.get("note"))
    except NotFound:
        abort(404, f"No article {article_id!r}.")
    return send(review.as_dict())


@blp.route("/claims/<claim_id>/assignee", methods=["PUT"])
@requires("verify")
@json_body
@blp.arguments(AssigneeInSchema())
@blp.response(200, AssignmentSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def assign_claim(body: dict[str, Any], claim_id: str) -> Any:
    """Assign a claim to a reviewer (yourself by default), or unassign it

    An assignment tells other reviewers who is working on the claim; it locks nothing. The
    claim queue filters by it (`GET /v1/claims?assignee=NAME`, `?unassigned=true`).
    """
    to = body["assignee"] if "assignee" in body else principal().name
    if not runtime().repos.assignments.assign([claim_id], to, by=principal().name):
        missing_claim(claim_id)
    return send({"claim_id": claim_id, "assignee": to})


@blp.route("/bulk/claims", methods=["POST"])
@requires("verify")
@json_body
@blp.arguments(BulkInSchema())
@blp.response(200, BulkResultSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def bulk(body: dict[str, Any]) -> Any:
    """Act on several claims at once: assign, unassign, or mark not a claim

    Each claim is changed on its own (a `not_a_claim` mark goes through each claim's
    verification, with its history entry); ids of no claim are listed as `missing`.
    """
    return send(apply_bulk(runtime().repos, body["action"], body["claim_ids"],
                           body.get("assignee") or principal().name, principal().name))

