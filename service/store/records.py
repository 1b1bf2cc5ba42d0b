"""Stored hashes to the records the API returns (and nothing else: no Redis calls here)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def none_if_empty(value: str | None) -> str | None:
    return value if value else None


def article(raw: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "title": none_if_empty(raw.get("title")),
        "url": none_if_empty(raw.get("url")),
        "source": none_if_empty(raw.get("source")),
        "published_at": none_if_empty(raw.get("published_at")),
        "external_id": none_if_empty(raw.get("external_id")),
        "text": raw.get("text", ""),
        "status": raw.get("status", "queued"),
        "error": none_if_empty(raw.get("error")),
        "claim_count": int(raw.get("claim_count") or 0),
        "attempts": int(raw.get("attempts") or 0),
        "created_at": raw.get("created_at"),
        "processed_at": none_if_empty(raw.get("processed_at")),
    }


def verification(raw: Mapping[str, str]) -> dict[str, Any]:
    return {
        "status": raw.get("status") or "unverified",
        "note": none_if_empty(raw.get("note")),
        "evidence": json.loads(raw.get("evidence") or "[]"),
        "updated_by": none_if_empty(raw.get("updated_by")),
        "updated_at": none_if_empty(raw.get("updated_at")),
    }


def claim(raw: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "article_id": raw["article_id"],
        "text": raw["text"],
        "type": raw["type"],
        "speaker": {
            "id": raw["speaker_id"],
            "name": raw["speaker_name"],
            "mention": raw.get("speaker_mention", ""),
            "title": none_if_empty(raw.get("speaker_title")),
            "kind": raw.get("speaker_kind") or "person",
        },
        "cue": raw.get("cue", ""),
        "span": {"start": int(raw["start"]), "end": int(raw["end"])},
        "confidence": float(raw.get("confidence") or 0.0),
        "cluster_id": raw.get("cluster_id") or "cls_" + raw["id"].partition("_")[2],
        "verification": verification(raw),
        "created_at": raw["created_at"],
        "version": int(raw["version"]),
    }


def speaker(raw: Mapping[str, str], aliases: set[str], titles: set[str]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "name": raw["name"],
        "kind": raw.get("kind") or "person",
        "aliases": sorted(aliases - {raw["name"]}),
        "titles": sorted(titles),
        "claim_count": int(raw.get("claim_count") or 0),
        "first_seen": raw.get("first_seen"),
        "last_seen": raw.get("last_seen"),
    }


def api_key(raw: Mapping[str, str]) -> dict[str, Any]:
    return {"id": raw["id"], "name": raw["name"], "roles": raw["roles"].split("+"), "created_at": raw["created_at"]}


def webhook(raw: Mapping[str, str]) -> dict[str, Any]:
    return {"id": raw["id"], "url": raw["url"], "events": json.loads(raw["events"]), "created_at": raw["created_at"]}


def event(stream_id: str, fields: Mapping[str, str]) -> dict[str, Any]:
    return {"id": fields["id"], "type": fields["type"], "at": fields["at"], "data": json.loads(fields["data"])}
