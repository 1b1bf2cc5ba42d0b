"""Stored values to the records the API returns, and the compact claim format (no Redis
calls here)."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson

from .values import cluster_of_claim, epoch_ms, format_time, seq_of_claim

#: A claim is stored as one JSON array in this field order, not as a hash: claims are the
#: bulk of the data, and a hash repeats every field name in every claim (and switches to a
#: far larger encoding once any value, such as the claim text, passes 64 bytes). What the id
#: already says is not stored: the seq (the id is the seq in base 36) and the cluster of a
#: claim that is alone in it (stored as null), nor the trailing values that are their fields'
#: defaults. New fields go at the end; `unpack_claim` fills fields a record lacks with their
#: defaults.
CLAIM_FIELDS = (
    "article_id", "text", "type", "cue", "start", "end", "confidence",
    "speaker_id", "speaker_name", "speaker_mention", "speaker_title", "speaker_kind",
    "cluster_id", "status", "note", "evidence", "updated_by", "updated_at", "created_at", "version",
    "stance", "review_url", "revision", "superseded_in_revision", "extractor_version",
    "origin", "corrected", "assignee",
)
_CLAIM_DEFAULTS: dict[str, Any] = {"speaker_title": None, "note": None, "evidence": [], "updated_by": None,
                                   "updated_at": None, "status": "unverified", "stance": "asserts",
                                   "review_url": None, "revision": 1, "superseded_in_revision": None,
                                   "extractor_version": None, "origin": "extractor", "corrected": [],
                                   "assignee": None}
#: The verification fields a verdict consists of: what a cluster passes on to its claims.
VERDICT_FIELDS = ("status", "note", "evidence", "review_url", "updated_by", "updated_at")
#: The article fields a claim record shows beside the claim.
ARTICLE_REF_FIELDS = ("title", "url", "source", "published_at")


def pack_claim(cid: str, fields: Mapping[str, Any]) -> bytes:
    stored = dict(fields)
    if stored.get("cluster_id") == cluster_of_claim(cid):
        stored["cluster_id"] = None
    values = [stored.get(name, _CLAIM_DEFAULTS.get(name)) for name in CLAIM_FIELDS]
    # Trailing values that are their field's default are left out (`unpack_claim` fills them in).
    while values and CLAIM_FIELDS[len(values) - 1] in _CLAIM_DEFAULTS \
            and values[-1] == _CLAIM_DEFAULTS[CLAIM_FIELDS[len(values) - 1]]:
        values.pop()
    return orjson.dumps(values)


def unpack_claim(cid: str, raw: str | bytes) -> dict[str, Any]:
    """The fields of a claim, by name, with `id` and `seq` (what `pack_claim` left out).

    Listing a page unpacks 50 of these, so this is kept lean (orjson, zip).
    """
    values = orjson.loads(raw)
    fields = dict(zip(CLAIM_FIELDS, values))
    for name in CLAIM_FIELDS[len(values):]:
        fields[name] = _CLAIM_DEFAULTS.get(name)
    if not fields["corrected"]:
        fields["corrected"] = []
    fields["id"] = cid
    fields["seq"] = seq_of_claim(cid)
    fields["cluster_id"] = fields["cluster_id"] or cluster_of_claim(cid)
    return fields


#: Where `comparable_claim` finds its fields in a stored record; the stance may be left out (its default).
_TEXT, _SPEAKER_ID, _CLUSTER_ID, _STATUS, _STANCE = (
    CLAIM_FIELDS.index(name) for name in ("text", "speaker_id", "cluster_id", "status", "stance"))


def comparable_claim(cid: str, raw: str | bytes) -> dict[str, Any]:
    """The fields of a stored claim that suggestions compare and rank (`clusters.ranked_suggestions`,
    `rules.suggestion`): id, seq, text, speaker_id, cluster_id, status and stance, as
    `unpack_claim` gives them, without the rest. A claim page compares the claim with up to a
    hundred of its speaker's, and most are turned away at once."""
    values = orjson.loads(raw)
    return {"id": cid, "seq": seq_of_claim(cid), "text": values[_TEXT], "speaker_id": values[_SPEAKER_ID],
            "cluster_id": values[_CLUSTER_ID] or cluster_of_claim(cid), "status": values[_STATUS],
            "stance": values[_STANCE] if _STANCE < len(values) else _CLAIM_DEFAULTS["stance"]}


_PADDING = [_CLAIM_DEFAULTS.get(name) for name in CLAIM_FIELDS]
_FIELD_COUNT = len(CLAIM_FIELDS)


def shown_claim(cid: str, raw: str | bytes) -> dict[str, Any]:
    """The API's Claim straight from a stored record: what `claim(unpack_claim(cid, raw))`
    gives, without the article and context the caller adds.

    Every claim a read returns goes through here (50 per list page), so it builds the
    answer in one step, unpacking the stored array in CLAIM_FIELDS' order, instead of a dict
    of fields first; the values a record lacks or stores empty are filled in as `claim` does,
    and values past the fields known here (a record written by a newer version) are left out.
    """
    values = orjson.loads(raw)
    if len(values) < _FIELD_COUNT:
        values.extend(_PADDING[len(values):])
    elif len(values) > _FIELD_COUNT:
        del values[_FIELD_COUNT:]
    (article_id, text, claim_type, cue, start, end, confidence, speaker_id, speaker_name, mention, title, kind,
     cluster_id, status, note, evidence, updated_by, updated_at, created_at, version, stance, review_url, revision,
     superseded, extractor_version, origin, corrected, assignee) = values
    return {
        "id": cid,
        "article_id": article_id,
        "text": text,
        "type": claim_type,
        "speaker": {"id": speaker_id, "name": speaker_name, "mention": mention or "", "title": title or None,
                    "kind": kind or "person"},
        "cue": cue or "",
        "span": {"start": start, "end": end},
        "confidence": confidence,
        "cluster_id": cluster_id or cluster_of_claim(cid),
        "verification": {"status": status or "unverified", "note": note or None, "evidence": evidence or [],
                         "review_url": review_url or None, "updated_by": updated_by or None,
                         "updated_at": updated_at or None},
        "created_at": created_at,
        "version": version,
        "stance": stance or "asserts",
        "revision": revision or 1,
        "superseded_in_revision": superseded,
        "extractor_version": extractor_version,
        "origin": origin or "extractor",
        "corrected": corrected or [],
        "assignee": assignee,
    }


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
        "created_at": raw.get("created_at"),
        "processed_at": none_if_empty(raw.get("processed_at")),
        "revision": int(raw.get("revision") or 1),
        "updated_at": none_if_empty(raw.get("updated_at")) or raw.get("created_at"),
        "extractor_version": none_if_empty(raw.get("extractor_version")),
    }


def tombstone(raw: Mapping[str, str]) -> dict[str, Any]:
    """What is left of a taken-down article: who took it down, when, and nothing of it."""
    return {"id": raw["id"], "deleted_at": raw["deleted_at"], "deleted_by": raw.get("deleted_by") or None,
            "claim_count": int(raw.get("claim_count") or 0)}


def verification(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A verdict from a claim's fields or a cluster hash (where evidence is a JSON string)."""
    evidence = fields.get("evidence") or []
    return {
        "status": fields.get("status") or "unverified",
        "note": fields.get("note") or None,
        "evidence": json.loads(evidence) if isinstance(evidence, str) else list(evidence),
        "review_url": fields.get("review_url") or None,
        "updated_by": fields.get("updated_by") or None,
        "updated_at": fields.get("updated_at") or None,
    }


def verdict_hash(verdict: Mapping[str, Any]) -> dict[str, str]:
    """A verdict as the fields of a cluster hash (`verification` reads it back)."""
    return {"status": verdict["status"], "note": verdict.get("note") or "",
            "evidence": json.dumps(list(verdict.get("evidence") or [])), "review_url": verdict.get("review_url") or "",
            "updated_by": verdict.get("updated_by") or "", "updated_at": verdict.get("updated_at") or ""}


def article_ref(aid: str, values: Sequence[str | None]) -> dict[str, Any]:
    """The article a claim came from, from its `ARTICLE_REF_FIELDS` in that order."""
    # A page makes one per article it shows. (A field added to ARTICLE_REF_FIELDS fails the unpacking.)
    title, url, source, published_at = values[:len(ARTICLE_REF_FIELDS)]
    return {"id": aid, "title": title or None, "url": url or None, "source": source or None,
            "published_at": published_at or None}


def claim(fields: Mapping[str, Any], article: Mapping[str, Any] | None = None,
          context: str | None = None) -> dict[str, Any]:
    """The API's Claim from a claim's stored fields (see `unpack_claim`), with its article
    (`article_ref`) and its context when the caller read them."""
    record = {
        "id": fields["id"],
        "article_id": fields["article_id"],
        "text": fields["text"],
        "type": fields["type"],
        "speaker": {
            "id": fields["speaker_id"],
            "name": fields["speaker_name"],
            "mention": fields.get("speaker_mention") or "",
            "title": fields.get("speaker_title") or None,
            "kind": fields.get("speaker_kind") or "person",
        },
        "cue": fields.get("cue") or "",
        "span": {"start": fields["start"], "end": fields["end"]},
        "confidence": fields["confidence"],
        "cluster_id": fields["cluster_id"],
        "verification": verification(fields),
        "created_at": fields["created_at"],
        "version": fields["version"],
        "stance": fields.get("stance") or "asserts",
        "revision": fields.get("revision") or 1,
        "superseded_in_revision": fields.get("superseded_in_revision"),
        "extractor_version": fields.get("extractor_version"),
        "origin": fields.get("origin") or "extractor",
        "corrected": list(fields.get("corrected") or []),
        "assignee": fields.get("assignee"),
    }
    if article is not None:
        record["article"] = article
    if context is not None:
        record["context"] = context
    return record


def speaker(raw: Mapping[str, str], aliases: set[str], titles: set[str], claim_count: int,
            last_seen: str | None) -> dict[str, Any]:
    """A registry speaker; its claim count and last sighting come from its claim index (its
    claims not superseded, and its newest claim's creation time), not from its hash."""
    return {
        "id": raw["id"],
        "name": raw["name"],
        "kind": raw.get("kind") or "person",
        "aliases": sorted(aliases - {raw["name"]}),
        "titles": sorted(titles),
        "claim_count": claim_count,
        "first_seen": raw.get("first_seen"),
        "last_seen": last_seen or raw.get("last_seen"),
    }


def api_key(raw: Mapping[str, str]) -> dict[str, Any]:
    return {"id": raw["id"], "name": raw["name"], "roles": raw["roles"].split("+"), "created_at": raw["created_at"]}


def webhook(raw: Mapping[str, str]) -> dict[str, Any]:
    return {"id": raw["id"], "url": raw["url"], "events": json.loads(raw["events"]), "created_at": raw["created_at"]}


#: An event's data keys as the feed stores them (`event_entry`): the feed holds about one event a
#: claim, and these names were a third of it. Entries written before keep the full names,
#: which `event` reads as they are.
EVENT_KEYS = {"claim_id": "c", "article_id": "a", "speaker_id": "s", "cluster_id": "k", "stance": "t",
              "revision": "r", "claim_count": "n", "from": "f", "to": "o", "by": "b", "inherited_from": "i",
              "from_cluster": "g"}
_EVENT_NAMES = {short: name for name, short in EVENT_KEYS.items()}


def event_entry(event: Mapping[str, Any]) -> dict[str, str | bytes]:
    """An event as a feed entry: its time in epoch ms, its data's keys shortened (`EVENT_KEYS`),
    compact JSON; `event` reads it back exactly."""
    event_id, event_type, at, data = _compact(event)
    return {"id": event_id, "type": event_type, "at": at, "data": orjson.dumps(data)}


def _compact(event: Mapping[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    if not _EVENT_NAMES.keys().isdisjoint(event["data"]):
        raise ValueError("an event's data key is one of the feed's short names")  # a new event type's
    data = {EVENT_KEYS.get(k, k): v for k, v in event["data"].items()}
    return event["id"], event["type"], str(epoch_ms(event["at"])), data


def batch_entry(events: Sequence[Mapping[str, Any]]) -> dict[str, str | bytes]:
    """Several events of one transaction, all at one time, as one feed entry (an article's save:
    one a claim), so that they cost one XADD and one stream entry: the time once, and a compact
    JSON list of each event's id, type and data (`event_entry`'s), in order; `events` reads it
    back."""
    compact = [_compact(e) for e in events]
    if len({at for _, _, at, _ in compact}) != 1:
        raise ValueError("a batch's events share one time")
    return {"at": compact[0][2], "batch": orjson.dumps([[i, t, data] for i, t, _, data in compact])}


def events(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """The events of one feed entry: one, or a batch's (`batch_entry`), in order."""
    if "batch" not in fields:
        return [event(fields)]
    return [event({"id": i, "type": t, "at": fields["at"], "data": data})
            for i, t, data in json.loads(fields["batch"])]


def event(fields: Mapping[str, str]) -> dict[str, Any]:
    at = fields["at"]
    if at.isdigit():
        at = format_time(datetime.fromtimestamp(int(at) / 1000, timezone.utc))
    raw = fields["data"]
    data = {_EVENT_NAMES.get(k, k): v for k, v in (json.loads(raw) if isinstance(raw, (str, bytes)) else raw).items()}
    return {"id": fields["id"], "type": fields["type"], "at": at, "data": data}
