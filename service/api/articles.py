"""Articles: other systems post news text here and poll it until its claims are extracted."""
from __future__ import annotations

from datetime import datetime, timezone
from http import HTTPStatus
from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates
from redis.client import Pipeline

from ..auth import principal, requires
from ..problems import abort
from ..queue import enqueuer, job_is_live
from ..runtime import Runtime, runtime
from ..store import ARTICLE_STATUSES, Conflict, DedupKey, Gone, NotFound, digest, format_time
from .claims import ClaimPageSchema, IncludeArgs
from .fields import OUT_OF_UTC_RANGE, Text, Timestamp, WebUrl, in_utc_range
from .pagination import PageArgs, page_schema
from .requests import json_body, send

blp = Blueprint(
    "articles",
    __name__,
    url_prefix="/v1/articles",
    description="Submit English news articles and follow their processing.",
)


class ArticleInSchema(Schema):
    """Unknown fields are rejected (422), so a misspelt field never passes unnoticed."""

    text = Text(
        required=True,
        validate=validate.Regexp(r"\s*\S", error="Text must not be empty."),
        metadata={
            "description": "The article body, in English; claims are searched here only. "
            "At most CLAIMTRACK_MAX_TEXT_CHARS characters (default 200000)."
        },
    )
    title = Text(allow_none=True, validate=validate.Length(max=1000))
    url = WebUrl(allow_none=True, validate=validate.Length(max=2048))
    source = Text(allow_none=True, validate=validate.Length(max=200))
    published_at = fields.AwareDateTime(
        allow_none=True,
        default_timezone=timezone.utc,
        metadata={"description": "ISO-8601; a time without an offset is taken as UTC."},
    )
    external_id = Text(
        allow_none=True,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "Your id for the article; posting it again returns the same article."},
    )

    @validates("published_at")
    def _published_at_in_utc_range(self, value: datetime | None, **_: Any) -> None:
        if value is not None and not in_utc_range(value):
            raise ValidationError(OUT_OF_UTC_RANGE)

    @validates("text")
    def _text_fits(self, value: str, **_: Any) -> None:
        limit = runtime().config.max_text_chars
        if len(value) > limit:
            raise ValidationError(f"Text is {len(value)} characters; the limit is {limit}.")


class IdempotencyHeaders(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=255),
        metadata={"description": "Posting again with the same key (same API key) returns the first article."},
    )


class ArticleSummarySchema(Schema):
    id = fields.String(required=True)
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    published_at = Timestamp(allow_none=True)
    external_id = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ARTICLE_STATUSES))
    error = fields.String(allow_none=True, metadata={"description": "Why processing failed or is being retried."})
    claim_count = fields.Integer(required=True, metadata={"description": "Claims in the current text."})
    created_at = Timestamp(required=True)
    processed_at = Timestamp(allow_none=True)
    revision = fields.Integer(required=True, metadata={"description": "1, then one more per correction of the text."})
    updated_at = Timestamp(required=True, metadata={"description": "Last change of text or metadata."})
    extractor_version = fields.String(allow_none=True, metadata={
        "description": "The extractor (package, model, rules version) that found the current claims."})


class ArticleSchema(ArticleSummarySchema):
    text = fields.String(required=True)


ArticlePageSchema = page_schema("ArticlePage", ArticleSummarySchema)


class ArticleListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(ARTICLE_STATUSES))
    source = fields.String(validate=validate.Length(min=1, max=200))
    external_id = fields.String(validate=validate.Length(min=1, max=512))
    url = fields.String(validate=validate.Length(min=1, max=2048))
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "Created at or after (ISO-8601)."})
    until = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "Created at or before (ISO-8601)."})

    @validates("since")
    def _since_in_range(self, value: datetime, **_: Any) -> None:
        if not in_utc_range(value):
            raise ValidationError(OUT_OF_UTC_RANGE)

    @validates("until")
    def _until_in_range(self, value: datetime, **_: Any) -> None:
        if not in_utc_range(value):
            raise ValidationError(OUT_OF_UTC_RANGE)


class RevisionSchema(Schema):
    revision = fields.Integer(required=True)
    at = Timestamp(required=True)
    by = fields.String(allow_none=True, metadata={"description": "Name of the API key that posted this text."})
    text_sha256 = fields.String(required=True, metadata={"description": "First 16 hex digits of the text's SHA-256."})
    chars = fields.Integer(required=True)
    claims = fields.Dict(allow_none=True, metadata={
        "description": "Once extracted: claims `kept` from the previous text (same id, verdict, history), "
                       "`revived` (superseded earlier, found again), `new`, and `superseded`."})
    text_kept = fields.Boolean(required=True, metadata={
        "description": "Whether this revision's text is still kept (earlier texts are kept for "
                       "CLAIMTRACK_REVISION_RETENTION_DAYS)."})


class RevisionListSchema(Schema):
    items = fields.List(fields.Nested(RevisionSchema), required=True)


class TombstoneSchema(Schema):
    id = fields.String(required=True)
    deleted_at = Timestamp(required=True)
    deleted_by = fields.String(allow_none=True)
    claim_count = fields.Integer(required=True, metadata={"description": "Claims removed with it."})


def _enqueue_on(rt: Runtime, text: str | None = None) -> Callable[[Pipeline, str], str]:
    """How the store queues an article's extraction with its own transaction; `text` is
    the text the job will read when it is not stored yet (its length sets the time budget)."""
    return enqueuer(rt.queue, rt.config, rt.repos, None if text is None else len(text))


@blp.route("", methods=["POST"])
@requires("ingest")
@json_body
@blp.arguments(IdempotencyHeaders(), location="headers")
@blp.arguments(ArticleInSchema())
@blp.response(202, ArticleSchema, description="Queued for extraction.")
@blp.alt_response(200, schema=ArticleSchema, description="Already posted: the existing article; nothing queued.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(413, response=HTTPStatus(413).name)
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def post_article(headers: dict[str, Any], body: dict[str, Any]) -> Any:
    """Submit an article

    The article is stored and one extraction job is queued in the same transaction, so an
    acknowledged article is never lost and never left without a job. Re-posting the same
    article (same `external_id`, same `url` with identical text, or the same
    `Idempotency-Key`) returns 200 with the article already stored. The same `external_id`
    with a different text is a correction of that article (as `PUT /v1/articles/{id}`):
    202 with `revision` incremented.
    """
    rt = runtime()
    if body.get("published_at") is not None:
        body["published_at"] = format_time(body["published_at"])
    dedup = _dedup_of(body)
    if headers.get("idempotency_key"):
        dedup.insert(0, DedupKey("idem", digest(principal().name, headers["idempotency_key"]),
                                 rt.config.idempotency_ttl))
    article, queued = rt.repos.articles.create(body, dedup, _enqueue_on(rt, body["text"]), by=principal().name)
    location = url_for("articles.get_article", article_id=article["id"])
    return send(article, 202 if queued else 200, {"Location": location})


def _dedup_of(body: dict[str, Any]) -> list[DedupKey]:
    dedup = []
    if body.get("external_id"):
        dedup.append(DedupKey("ext", digest(body["external_id"])))
    if body.get("url"):
        dedup.append(DedupKey("url", digest(body["url"], digest(body["text"]))))
    return dedup


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(ArticleListArgs(), location="query")
@blp.response(200, ArticlePageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def list_articles(args: dict[str, Any]) -> Any:
    """List articles, newest first (without their text)

    Filters combine (AND); `since`/`until` bound the creation time. Follow `next_cursor`
    until it is null.
    """
    page = runtime().repos.articles.list(
        status=args.get("status"), source=args.get("source"), external_id=args.get("external_id"),
        url=args.get("url"), since=format_time(args["since"]) if "since" in args else None,
        until=format_time(args["until"]) if "until" in args else None, cursor=args.get("cursor"),
        limit=args["limit"])
    return send({"items": page.items, "next_cursor": page.next_cursor})


@blp.route("/<article_id>", methods=["PUT"])
@requires("ingest")
@json_body
@blp.arguments(ArticleInSchema())
@blp.response(202, ArticleSchema, description="The text changed: a new revision, queued for extraction.")
@blp.alt_response(200, schema=ArticleSchema, description="Same text: metadata updated (or nothing changed).")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
@blp.alt_response(413, response=HTTPStatus(413).name)
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def correct_article(body: dict[str, Any], article_id: str) -> Any:
    """Correct an article: replace its text and metadata

    A changed text is a new revision (`revision` + 1, `status: queued`, 202): the earlier text
    is kept (see `/revisions`) and extraction runs again. Claims found again keep their id,
    verdict, history and cluster; claims no longer in the text are superseded (kept, out of the
    default lists); the rest are new. Fields left out are cleared, as in a POST. The same text
    with new metadata is updated in place (200); the same article changes nothing (200).
    """
    rt = runtime()
    if body.get("published_at") is not None:
        body["published_at"] = format_time(body["published_at"])
    try:
        article, queued = rt.repos.articles.revise(article_id, body, principal().name,
                                                  _enqueue_on(rt, body.get("text")),
                                                  _dedup_of(body))
    except NotFound:
        abort(404, f"No article {article_id!r}.")
    except Conflict as taken:
        abort(409, f"{taken}; correct that article instead.")
    return send(article, 202 if queued else 200, {"Location": url_for("articles.get_article", article_id=article_id)})


@blp.route("/<article_id>", methods=["DELETE"])
@requires("admin")
@blp.response(200, TombstoneSchema, description="Taken down; this is all that is kept.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def delete_article(article_id: str) -> Any:
    """Take an article down (legal removal)

    Removes its text, every revision, its claims and their histories from every index,
    cluster and speaker count in one step, and leaves a tombstone: the article and its claims
    then answer 410 with `deleted_at` and `deleted_by`. An `article.deleted` event says who,
    when and how many claims. Posting the same `external_id` again creates a new article.
    """
    try:
        return send(runtime().repos.articles.delete(article_id, principal().name))
    except NotFound:
        abort(404, f"No article {article_id!r}.")


@blp.route("/<article_id>/revisions", methods=["GET"])
@requires("read")
@blp.response(200, RevisionListSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def list_revisions(article_id: str) -> Any:
    """List an article's revisions, oldest first"""
    found = runtime().repos.articles.revisions(article_id)
    if found is None:
        abort(404, f"No article {article_id!r}.")
    return send({"items": found})


@blp.route("/<article_id>/reextract", methods=["POST"])
@requires("admin")
@blp.response(202, ArticleSchema, description="Queued for extraction again.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
def reextract_article(article_id: str) -> Any:
    """Run extraction again on the current text (after an extractor upgrade)

    Claims found again keep their id, verdict, history and cluster; a claim no longer found is
    superseded, never deleted. Only a `done` or `failed` article (409 otherwise).
    """
    rt = runtime()
    result = rt.repos.articles.request_reextraction(article_id, _enqueue_on(rt), by=principal().name)
    if result is None:
        abort(404, f"No article {article_id!r}.")
    article, queued = result
    if not queued:
        abort(409, f"The article is {article['status']}; it is extracted again once it is done.")
    return article, 202, {"Location": url_for("articles.get_article", article_id=article_id)}


@blp.route("/<article_id>", methods=["GET"])
@requires("read")
@blp.response(200, ArticleSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def get_article(article_id: str) -> Any:
    """Read an article and its processing status

    `status` moves from `queued` to `processing` to `done` (or `failed`, with `error`).
    """
    repos = runtime().repos
    article = repos.articles.get(article_id)
    if article is None:
        _gone_or_404(repos, article_id)
    return send(article)


def _gone_or_404(repos: Any, article_id: str) -> None:
    tombstone = repos.articles.tombstone(article_id)
    if tombstone is not None:
        raise Gone(tombstone)
    abort(404, f"No article {article_id!r}.")


@blp.route("/<article_id>/claims", methods=["GET"])
@requires("read")
@blp.arguments(IncludeArgs(), location="query")
@blp.response(200, ClaimPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def list_article_claims(args: dict[str, Any], article_id: str) -> Any:
    """List an article's claims in the order they appear in its text

    Claims marked `not_a_claim`, and claims superseded by a correction, are left out unless
    `include=not_a_claim` / `include=superseded`; each claim's `context` comes with
    `include=context`.
    """
    repos = runtime().repos
    if not repos.articles.exists(article_id):
        _gone_or_404(repos, article_id)
    page = repos.claims.of_article(article_id, cursor=args.get("cursor"), limit=args["limit"],
                                include=frozenset(args.get("include") or ()))
    return send({"items": page.items, "next_cursor": page.next_cursor})


@blp.route("/<article_id>/retry", methods=["POST"])
@requires("ingest")
@blp.response(202, ArticleSchema, description="Queued for extraction again.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
def retry_article(article_id: str) -> Any:
    """Queue a failed or stuck article for extraction again

    An article whose status is `failed` can be retried, and so can one that has been
    `queued` or `processing` for longer than CLAIMTRACK_RECONCILE_AFTER (default 120 s)
    while its job is in none of the job queue's lists and registries, or only in one that RQ
    should have acted on that long ago (lost with a killed worker; the workers'
    reconciliation would queue it again on its own soon after). For
    any other article the answer is 409 and nothing is queued.
    """
    rt = runtime()
    result = rt.repos.jobs.requeue(
        article_id, _enqueue_on(rt), stuck_after=rt.config.reconcile_after,
        job_is_live=lambda job_id: job_is_live(rt.queue, job_id, overdue_after=rt.config.reconcile_after))
    if result is None:
        _gone_or_404(rt.repos, article_id)
    article, requeued = result
    if not requeued:
        abort(409, "Only a failed article, or one stuck for longer than "
                   f"{rt.config.reconcile_after} s, can be retried; this one is {article['status']}.")
    return article, 202, {"Location": url_for("articles.get_article", article_id=article_id)}
