"""Speakers across articles: who said what, how often, under which names."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..auth import requires
from ..problems import abort
from ..runtime import runtime
from ..store import SPEAKER_KINDS, Conflict, NotFound
from .claims import ClaimPageSchema
from .fields import Text, Timestamp
from .pagination import PageArgs, page_schema
from .requests import json_body

blp = Blueprint("speakers", __name__, url_prefix="/v1/speakers",
                description="The speaker registry: one record per person or organisation across articles.")


class SpeakerRecordSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "The fullest name known for the speaker."})
    kind = fields.String(required=True, validate=validate.OneOf(SPEAKER_KINDS))
    aliases = fields.List(fields.String(), required=True,
                          metadata={"description": "Other names articles used for the speaker."})
    titles = fields.List(fields.String(), required=True)
    claim_count = fields.Integer(required=True)
    first_seen = Timestamp(allow_none=True)
    last_seen = Timestamp(allow_none=True)


SpeakerPageSchema = page_schema("SpeakerPage", SpeakerRecordSchema)


class SpeakerSearchArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "Name prefix, case- and accent-insensitive; matches any word "
                                               "of a name or alias onwards ('put' finds Vladimir Putin)."})


class SpeakerChangeSchema(Schema):
    name = Text(validate=validate.Length(min=1, max=300), metadata={"description": "Rename the speaker."})
    merge_into = fields.String(validate=validate.Length(min=1, max=100),
                               metadata={"description": "Merge this speaker into another speaker's id."})

    @validates_schema
    def _one_change(self, data: dict[str, Any], **_: Any) -> None:
        if ("name" in data) == ("merge_into" in data):
            raise ValidationError("Give exactly one of name and merge_into.", "_schema")
        if "name" in data and not data["name"].strip():
            raise ValidationError("Name must not be blank.", "name")


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(SpeakerSearchArgs(), location="query")
@blp.response(200, SpeakerPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def search_speakers(args: dict[str, Any]) -> Any:
    """Find named speakers by name prefix (unnamed sources are not listed)"""
    page = runtime().repos.speakers.search(args["q"], cursor=args.get("cursor"), limit=args["limit"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<speaker_id>", methods=["GET"])
@requires("read")
@blp.response(200, SpeakerRecordSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_speaker(speaker_id: str) -> Any:
    """Read a speaker (a merged speaker's id answers with the speaker it was merged into)"""
    speaker = runtime().repos.speakers.get(speaker_id)
    if speaker is None:
        abort(404, f"No speaker {speaker_id!r}.")
    return speaker


@blp.route("/<speaker_id>/claims", methods=["GET"])
@requires("read")
@blp.arguments(PageArgs(), location="query")
@blp.response(200, ClaimPageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
def speaker_claims(args: dict[str, Any], speaker_id: str) -> Any:
    """List a speaker's claims, newest first"""
    page = runtime().repos.speakers.claims(speaker_id, cursor=args.get("cursor"), limit=args["limit"])
    if page is None:
        abort(404, f"No speaker {speaker_id!r}.")
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<speaker_id>", methods=["PATCH"])
@requires("admin")
@json_body
@blp.arguments(SpeakerChangeSchema())
@blp.response(200, SpeakerRecordSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def change_speaker(body: dict[str, Any], speaker_id: str) -> Any:
    """Rename a speaker, or merge it into another

    Claims follow: they take the new name, or move to the speaker merged into. Verification
    histories are kept as they are. A merge answers with the speaker merged into.
    """
    repos = runtime().repos
    try:
        if "merge_into" in body:
            return repos.speakers.merge(speaker_id, body["merge_into"])
        return repos.speakers.rename(speaker_id, body["name"].strip())
    except NotFound as missing:
        abort(404, f"No speaker {missing.args[0]!r}.")
    except Conflict as conflict:
        abort(409, str(conflict))
