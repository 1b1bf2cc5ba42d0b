"""Claims: read what was extracted, and record fact-checkers' verdicts with an audit trail."""
from __future__ import annotations

from datetime import timezone
from typing import Any, NoReturn

import re

from flask import current_app, json, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.fields import DelimitedList

from ..auth import prefetched, principal, read_checked, requires
from ..problems import TYPES, abort
from ..runtime import runtime
from ..claimreview import MEDIA_TYPE as CLAIMREVIEW_MEDIA_TYPE
from ..claimreview import claim_review
from ..store import (CLAIM_TYPES, CORRECTABLE, ORIGINS, SPEAKER_KINDS, STANCES, VERDICTS, VERIFICATION_STATUSES,
                     Gone, NotFound, VersionMismatch, format_time, words)
from .fields import OUT_OF_UTC_RANGE, Text, Timestamp, WebUrl, in_utc_range
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


STATUS_DESCRIPTION = ("A verdict (true .. unverifiable), `unverified`, `in_review`, or `not_a_claim` for an "
                      "extraction mistake: the text is not a claim, or not this speaker's. A `not_a_claim` claim "
                      "leaves the default lists, never gives or takes a cluster's verdict and has no ClaimReview.")
STANCE_DESCRIPTION = ("What the speaker did with the words: `asserts` them (the default), `denies` them (\"denied "
                      "that ...\", \"rejected claims that ...\", \"said it was not true that ...\") or `questions` "
                      "them (\"asked whether ...\", \"doubted that ...\"). A verdict is on the claim as made: a "
                      "denial's verdict says whether the denial holds.")


class VerificationSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(VERIFICATION_STATUSES),
                           metadata={"description": STATUS_DESCRIPTION})
    note = fields.String(allow_none=True)
    evidence = fields.List(fields.String(), required=True)
    review_url = fields.String(allow_none=True, metadata={"description": "The published fact-check article."})
    updated_by = fields.String(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class ArticleRefSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    published_at = Timestamp(allow_none=True)


class ClaimSchema(Schema):
    id = fields.String(required=True)
    article_id = fields.String(required=True)
    text = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(CLAIM_TYPES))
    speaker = fields.Nested(SpeakerSchema, required=True)
    cue = fields.String(required=True)
    span = fields.Nested(SpanSchema, required=True)
    confidence = fields.Float(required=True, metadata={"description": "In [0, 1]; higher is more often right."})
    stance = fields.String(required=True, validate=validate.OneOf(STANCES), metadata={"description": STANCE_DESCRIPTION})
    cluster_id = fields.String(
        required=True,
        metadata={"description": "Claims that are the same claim (same registry speaker, same stance, the same "
                                 "words up to case, accents, whitespace, punctuation and quotation marks) share a "
                                 "cluster, as do claims a verifier linked; a verdict applies to the whole cluster."},
    )
    verification = fields.Nested(VerificationSchema, required=True)
    created_at = Timestamp(required=True)
    version = fields.Integer(required=True, metadata={"description": "Also sent as the ETag."})
    article = fields.Nested(ArticleRefSchema, required=True, metadata={"description": "Where the claim appeared."})
    revision = fields.Integer(required=True, metadata={
        "description": "The article revision whose text holds the claim at `span` (its latest)."})
    superseded_in_revision = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Set when a correction of the article no longer contains the claim: the claim is kept "
                       "with its verdict and history, out of the default lists and of its cluster's verdicts."})
    extractor_version = fields.String(allow_none=True, required=True, metadata={
        "description": "The extractor that found the claim last (null for claims stored before versions)."})
    origin = fields.String(required=True, validate=validate.OneOf(ORIGINS), metadata={
        "description": "`reviewer` for a claim a reviewer added (the extractor missed it)."})
    corrected = fields.List(fields.String(validate=validate.OneOf(CORRECTABLE)), required=True, metadata={
        "description": "Fields a reviewer corrected: the reviewer's from then on (re-extraction keeps them)."})
    assignee = fields.String(allow_none=True, required=True, metadata={
        "description": "The reviewer the claim is assigned to (PUT /v1/claims/{id}/assignee), or null."})
    context = fields.String(metadata={
        "description": "The sentence or sentences of the article that hold the claim. Always on a single claim; "
                       "on list pages only with `include=context` (it reads each article's text)."})


ClaimPageSchema = page_schema("ClaimPage", ClaimSchema)


INCLUDES = ("context", "not_a_claim", "superseded")


class IncludeArgs(PageArgs):
    include = DelimitedList(
        fields.String(validate=validate.OneOf(INCLUDES)),
        metadata={"description": "Comma-separated: `context` adds each claim's context; `not_a_claim` and "
                                 "`superseded` list claims marked as extraction mistakes, and claims a "
                                 "correction of their article no longer contains (left out by default)."},
    )


class ClaimListArgs(IncludeArgs):
    status = fields.String(validate=validate.OneOf(VERIFICATION_STATUSES),
                           metadata={"description": "Only claims with this status (`not_a_claim` included)."})
    type = fields.String(validate=validate.OneOf(CLAIM_TYPES))
    stance = fields.String(validate=validate.OneOf(STANCES))
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
    assignee = fields.String(validate=validate.Length(min=1, max=100),
                             metadata={"description": "Only claims assigned to this reviewer (an API key's name)."})
    unassigned = fields.Boolean(metadata={"description": "true: only claims assigned to nobody."})
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
    """A merge: fields left out keep their values; `null` (or `[]` for evidence) clears one."""

    status = fields.String(validate=validate.OneOf(VERIFICATION_STATUSES), metadata={"description": STATUS_DESCRIPTION})
    note = Text(allow_none=True, validate=validate.Length(max=10_000))
    evidence = fields.List(
        WebUrl(validate=validate.Length(max=2048)),
        validate=validate.Length(max=50),
    )
    review_url = WebUrl(allow_none=True, validate=validate.Length(max=2048),
                        metadata={"description": "The published fact-check article (ClaimReview `url`)."})


class HistoryEntrySchema(Schema):
    at = Timestamp(required=True)
    by = fields.String(allow_none=True, required=True,
                       metadata={"description": "Name of the API key that made the change."})
    from_ = fields.String(required=True, attribute="from", data_key="from", validate=validate.OneOf(VERIFICATION_STATUSES))
    to = fields.String(required=True, validate=validate.OneOf(VERIFICATION_STATUSES))
    note = fields.String(allow_none=True)
    evidence = fields.List(fields.String(), required=True)
    review_url = fields.String(allow_none=True)
    propagated_from = fields.String(
        metadata={"description": "Set on the other claims of a cluster: the claim whose update this was."})
    inherited_from = fields.String(
        metadata={"description": "Set when the claim joined a cluster that already had this verdict."})
    linked_to = fields.String(metadata={"description": "Set when a verifier linked the claim into this cluster "
                                                       "(`by` is who); the claim took the cluster's verification."})
    split_from = fields.String(metadata={"description": "Set when the claim was split out of this cluster into one "
                                                        "of its own, keeping its verification."})
    corrected = fields.Dict(keys=fields.String(validate=validate.OneOf(CORRECTABLE)), values=fields.Dict(), metadata={
        "description": "Set when a reviewer corrected the claim: each corrected field's `from` and `to` value "
                       "(`by` is who)."})
    added = fields.Boolean(metadata={"description": "Set on the first entry of a claim a reviewer added."})


class HistorySchema(Schema):
    items = fields.List(fields.Nested(HistoryEntrySchema), required=True)


def _etag(claim: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{claim["version"]}"'}


_ENTITY_TAG = re.compile(r'\s*(?:W/)?"(\d{1,18})"\s*')


def expected_versions() -> list[int] | None:
    """Versions an If-Match header accepts; None when any version will do (no header, `*`).

    Anything but `*` or a comma-separated list of entity tags of the form "3" (weak or not)
    is refused with 400 rather than guessed at: a verifier who sent a broken header must not
    overwrite a verdict by accident.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if header.strip() == "*":
        return None
    versions = []
    for part in header.split(","):
        match = _ENTITY_TAG.fullmatch(part)
        if match is None:
            abort(400, 'If-Match must be "*" or the claim\'s ETag, e.g. "3" (a comma-separated list is accepted).',
                  title="Malformed If-Match")
        versions.append(int(match.group(1)))
    return versions


def missing_claim(claim_id: str) -> NoReturn:
    """End a request about a claim that is not there: 410 when its article was taken down
    (every route of a taken-down claim says so alike), 404 when there never was such a claim."""
    tombstone = runtime().repos.claims.tombstone(claim_id)
    if tombstone is not None:
        raise Gone(tombstone)
    abort(404, f"No claim {claim_id!r}.")


def send_claim(claim_id: str, status: int = 200) -> Any:
    """The answer of every route that changed a claim: the claim as it is now, with its ETag
    (410 or 404 when it is gone)."""
    claim = runtime().repos.claims.get(claim_id)
    if claim is None:
        missing_claim(claim_id)
    return send(claim, status, _etag(claim))


def stale_version(current: int) -> NoReturn:
    """412 for a write whose If-Match names an earlier version than `current`."""
    abort(412, f"The claim changed since you read it (now version {current}); read it again.",
          type=TYPES["stale"], title="Stale version", headers={"ETag": f'"{current}"'})


def _claim_or_abort(claim_id: str) -> dict[str, Any]:
    """The claim; 410 when its article was taken down, 404 when there is no such claim."""
    repos = runtime().repos
    claim = prefetched(lambda: repos.claims.get(claim_id))
    if claim is None:
        missing_claim(claim_id)
    return claim


#: The header every answer with one claim carries: its version, what `If-Match` takes.
CLAIM_ETAG = {"ETag": {"description": "The claim's version", "schema": {"type": "string"}}}

@blp.route("", methods=["GET"])
@requires("read", checked_read=True)
@blp.arguments(ClaimListArgs(), location="query")
@blp.response(200, ClaimPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def list_claims(args: dict[str, Any]) -> Any:
    """List claims, newest first

    Filters combine (AND). A page can hold fewer than `limit` items while `next_cursor`
    is set; follow `next_cursor` until it is null. Claims marked `not_a_claim` are left out
    unless asked for (`status=not_a_claim` or `include=not_a_claim`); each claim's `context`
    comes with `include=context`.
    """
    rt = runtime()
    if "q" in args and not rt.config.search_index:
        abort(422, "This service keeps no search index (CLAIMTRACK_SEARCH_INDEX=off).", type=TYPES["validation"],
              title="Validation failed", errors={"q": ["Search is turned off on this service."]})
    page = read_checked(lambda pipe: rt.repos.claims.list_queued(
        pipe,
        status=args.get("status"),
        claim_type=args.get("type"),
        stance=args.get("stance"),
        speaker=args.get("speaker"),
        speaker_id=args.get("speaker_id"),
        article_id=args.get("article_id"),
        cluster_id=args.get("cluster_id"),
        assignee=args.get("assignee"),
        unassigned=bool(args.get("unassigned")),
        query=words(args["q"]) if "q" in args else (),
        since=format_time(args["since"]) if "since" in args else None,
        until=format_time(args["until"]) if "until" in args else None,
        include=frozenset(args.get("include") or ()),
        cursor=args.get("cursor"),
        limit=args["limit"],
    ))
    return send({"items": page.items, "next_cursor": page.next_cursor})


@blp.route("/<claim_id>", methods=["GET"])
@requires("read", prefetch=lambda repos, pipe, claim_id: repos.claims.get_queued(pipe, claim_id))
@blp.response(200, ClaimSchema, headers=CLAIM_ETAG)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def get_claim(claim_id: str) -> Any:
    """Read one claim"""
    claim = _claim_or_abort(claim_id)
    return send(claim, 200, _etag(claim))


class IfMatchArgs(Schema):
    class Meta:
        unknown = "exclude"

    if_match = fields.String(data_key="If-Match", metadata={
        "description": "The claim's ETag (e.g. `\"3\"`, weak or not, or several separated by commas), or `*`. "
                       "A stale one gets 412, a malformed one 400."})


@blp.route("/<claim_id>/verification", methods=["PATCH"])
@requires("verify")
@json_body
@blp.arguments(IfMatchArgs(), location="headers")
@blp.arguments(VerificationInSchema())
@blp.response(200, ClaimSchema, headers=CLAIM_ETAG)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def update_verification(_: dict[str, Any], body: dict[str, Any], claim_id: str) -> Any:
    """Update a claim's verification

    A merge: fields you leave out keep their values; `"note": null`, `"evidence": []` and
    `"review_url": null` clear them. The new verification is copied to every claim of the
    claim's cluster (except to claims marked `not_a_claim`; that status itself is never
    copied). A change is recorded in each claim's history with the API key's name and the
    time; an update that changes nothing answers 200 with the claim as it is, and writes no
    version, history entry or event.

    Send the claim's ETag in `If-Match` to make sure nobody changed it since you read it:
    a stale ETag gets 412 and changes nothing; a malformed one gets 400.
    """
    expected = expected_versions()
    try:
        runtime().repos.verdicts.update(claim_id, body, by=principal().name, expected_versions=expected)
    except NotFound:
        missing_claim(claim_id)
    except VersionMismatch as stale:
        stale_version(stale.current)
    return send_claim(claim_id)


class SimilarClaimSchema(Schema):
    cluster_id = fields.String(required=True, metadata={"description": "The cluster the claim would join."})
    score = fields.Float(required=True, metadata={"description": "Word-level similarity in [0, 1]."})
    reasons = fields.List(fields.String(), required=True, metadata={"description": "Why it is suggested."})
    differences = fields.List(fields.Dict(keys=fields.String(), values=fields.String()), required=True,
                              metadata={"description": "Where the words differ: `this` claim's words and the "
                                                       "`other`'s (either may be empty)."})
    claim = fields.Nested(ClaimSchema, required=True)


class SimilarPageSchema(Schema):
    items = fields.List(fields.Nested(SimilarClaimSchema), required=True)


@blp.route("/<claim_id>/similar", methods=["GET"])
@requires("read")
@blp.response(200, SimilarPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def similar_claims(claim_id: str) -> Any:
    """Suggest claims of other clusters that may be the same claim

    Near matches are never joined automatically, because a changed word can change the
    meaning; a verifier confirms one with `POST /v1/clusters/{cluster_id}/claims`. Candidates
    are the same speaker's claims with the same stance (the speaker's 1,000 newest), at
    least 80% alike word for word, best first, one per cluster.
    """
    found = runtime().repos.clusters.similar(claim_id)
    if found is None:
        missing_claim(claim_id)
    return send({"items": found})


@blp.route("/<claim_id>/history", methods=["GET"])
@requires("read")
@blp.response(200, HistorySchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def claim_history(claim_id: str) -> Any:
    """List a claim's verification changes, oldest first"""
    entries = runtime().repos.verdicts.history(claim_id)
    if entries is None:
        missing_claim(claim_id)
    return {"items": entries}


class ClaimReviewSchema(Schema):
    class Meta:
        unknown = "include"

    context = fields.String(data_key="@context", required=True)
    type_ = fields.String(data_key="@type", required=True)
    url = fields.String(metadata={"description": "The verdict's `review_url`: the published fact-check. Absent "
                                                 "only in a draft (`?draft=true`)."})
    claimReviewed = fields.String(required=True, metadata={
        "description": "The claim as the speaker made it: a denial reads \"X denied that ...\", a question "
                       "\"X questioned whether ...\"."})
    datePublished = fields.String(allow_none=True)
    inLanguage = fields.String(required=True)
    reviewBody = fields.String(metadata={"description": "The verdict's note, when there is one."})
    author = fields.Dict(required=True, metadata={"description": "The reviewing organisation (configuration)."})
    itemReviewed = fields.Dict(required=True, metadata={"description": "A schema.org Claim; its author is the "
                                                                       "speaker, with the appearances."})
    reviewRating = fields.Dict(required=True, metadata={"description": "ratingValue 1-5 (false .. true); "
                                                                       "misleading and unverifiable carry only "
                                                                       "alternateName."})


class ClaimReviewArgs(Schema):
    draft = fields.Boolean(load_default=False, metadata={
        "description": "Answer even without a `review_url`: the document then has no `url` and must not be "
                       "published as it is."})


SUPERSEDED_HEADER = "Claimtrack-Superseded-In-Revision"


@blp.route("/<claim_id>/claimreview", methods=["GET"])
@requires("read")
@blp.arguments(ClaimReviewArgs(), location="query")
@blp.response(200, ClaimReviewSchema, content_type=CLAIMREVIEW_MEDIA_TYPE)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def claim_review_of(args: dict[str, Any], claim_id: str) -> Any:
    """schema.org ClaimReview (JSON-LD) of a claim with a verdict

    Publishable only once the verification has a `review_url` (the fact-check article, which
    becomes the document's `url`): before that the answer is 409 `/problems/no-review-url`,
    unless `?draft=true` asks for the document without it. A claim without a verdict, or
    marked `not_a_claim`, gets 409 `/problems/no-verdict`. The review of a claim a correction
    superseded still answers, with the header `Claimtrack-Superseded-In-Revision: N`.
    """
    rt = runtime()
    claim = _claim_or_abort(claim_id)
    verification = claim["verification"]
    if verification["status"] not in VERDICTS:
        abort(409, f"The claim has no verdict (status {verification['status']!r}); set one with "
                   "PATCH /v1/claims/{id}/verification first.", type=TYPES["no_verdict"], title="No verdict")
    if not verification["review_url"] and not args["draft"]:
        abort(409, "The verdict has no review_url (the published fact-check article), which a ClaimReview needs as "
                   "its url; set it with PATCH /v1/claims/{id}/verification, or ask for ?draft=true.",
              type=TYPES["no_review_url"], title="Not publishable yet")
    cluster = rt.repos.clusters.get(claim["cluster_id"]) or {"appearances": [{
        "url": claim["article"]["url"], "published_at": claim["article"]["published_at"],
        "created_at": claim["created_at"], "first": True}]}
    document = claim_review(claim, cluster, rt.config.reviewer_name, rt.config.reviewer_url or None)
    response = current_app.response_class(json.dumps(document, ensure_ascii=False), mimetype=CLAIMREVIEW_MEDIA_TYPE)
    if claim["superseded_in_revision"] is not None:
        # The review stays published; its reader learns the article no longer says this.
        response.headers[SUPERSEDED_HEADER] = str(claim["superseded_in_revision"])
    return response
