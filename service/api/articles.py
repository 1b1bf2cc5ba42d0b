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
from ..queue import enqueue_extraction
from ..runtime import Runtime, runtime
from ..store import ARTICLE_STATUSES, DedupKey, digest, format_time
from .claims import ClaimPageSchema, IncludeArgs
from .fields import OUT_OF_UTC_RANGE, Text, Timestamp, in_utc_range
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
    url = fields.Url(
        allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048)
    )
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


class ArticleSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    published_at = Timestamp(allow_none=True)
    external_id = fields.String(allow_none=True)
    text = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ARTICLE_STATUSES))
    error = fields.String(allow_none=True, metadata={"description": "Why processing failed or is being retried."})
    claim_count = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    processed_at = Timestamp(allow_none=True)


def _enqueue_on(rt: Runtime) -> Callable[[Pipeline, str], None]:
    """How the store queues an article's extraction, inside its own transaction."""
    return lambda pipe, aid: enqueue_extraction(rt.queue, rt.config, aid, pipeline=pipe)


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
    `Idempotency-Key`) returns 200 with the article already stored.
    """
    rt = runtime()
    if body.get("published_at") is not None:
        body["published_at"] = format_time(body["published_at"])
    dedup = []
    if headers.get("idempotency_key"):
        dedup.append(DedupKey("idem", digest(principal().name, headers["idempotency_key"]), rt.config.idempotency_ttl))
    if body.get("external_id"):
        dedup.append(DedupKey("ext", digest(body["external_id"])))
    if body.get("url"):
        dedup.append(DedupKey("url", digest(body["url"], digest(body["text"]))))
    article, created = rt.store.create_article(body, dedup, _enqueue_on(rt))
    location = url_for("articles.get_article", article_id=article["id"])
    return send(article, 202 if created else 200, {"Location": location})


@blp.route("/<article_id>", methods=["GET"])
@requires("read")
@blp.response(200, ArticleSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_article(article_id: str) -> Any:
    """Read an article and its processing status

    `status` moves from `queued` to `processing` to `done` (or `failed`, with `error`).
    """
    article = runtime().store.get_article(article_id)
    if article is None:
        abort(404, f"No article {article_id!r}.")
    return send(article)


@blp.route("/<article_id>/claims", methods=["GET"])
@requires("read")
@blp.arguments(IncludeArgs(), location="query")
@blp.response(200, ClaimPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
def list_article_claims(args: dict[str, Any], article_id: str) -> Any:
    """List an article's claims in the order they appear in its text

    Claims marked `not_a_claim` are left out unless `include=not_a_claim`; each claim's
    `context` comes with `include=context`.
    """
    store = runtime().store
    if not store.has_article(article_id):
        abort(404, f"No article {article_id!r}.")
    page = store.article_claims(article_id, cursor=args.get("cursor"), limit=args["limit"],
                                include=frozenset(args.get("include") or ()))
    return send({"items": page.items, "next_cursor": page.next_cursor})


@blp.route("/<article_id>/retry", methods=["POST"])
@requires("ingest")
@blp.response(202, ArticleSchema, description="Queued for extraction again.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def retry_article(article_id: str) -> Any:
    """Queue a failed article for extraction again

    Only an article whose status is `failed` can be retried; for any other status the
    answer is 409 and nothing is queued.
    """
    rt = runtime()
    result = rt.store.requeue_article(article_id, _enqueue_on(rt))
    if result is None:
        abort(404, f"No article {article_id!r}.")
    article, requeued = result
    if not requeued:
        abort(409, f"Only a failed article can be retried; this one is {article['status']}.")
    return article, 202, {"Location": url_for("articles.get_article", article_id=article_id)}
