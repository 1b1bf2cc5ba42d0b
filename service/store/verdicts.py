"""Verdicts in Redis: setting a claim's verification and copying it across its cluster, and
each claim's history of changes. What may travel is decided by the plain functions of
`rules.py`; this module only reads and writes.

Kept apart because it is the part of the store that decides what a newsroom publishes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline

from . import records, rules
from .base import NotFound, VersionMismatch
from .connection import Connection
from .events import Feed
from .layout import Keys
from .reads import move_status
from .values import is_id, utcnow

#: The verification fields a fact-checker sets; the rest of a verdict says who and when.
EDITABLE = ("status", "note", "evidence", "review_url")


def same_verdict(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all((a.get(k) or None) == (b.get(k) or None) for k in ("status", "note", "review_url")) \
        and list(a.get("evidence") or []) == list(b.get("evidence") or [])


def history_entry(previous: str, verdict: Mapping[str, Any], **extra: Any) -> str:
    entry = {"from": previous, "to": verdict["status"], "at": verdict["updated_at"], "by": verdict["updated_by"],
             "note": verdict.get("note"), "evidence": list(verdict.get("evidence") or []),
             "review_url": verdict.get("review_url"), **extra}
    return json.dumps(entry)


def set_fields(pipe: Pipeline, cid: str, fields: dict[str, Any], previous_status: str) -> None:
    """Write a rewritten claim and move it between status indexes if its status changed
    (`reads.move_status`)."""
    pipe.set(Keys.claim(cid), records.pack_claim(cid, fields))
    move_status(pipe, cid, fields["seq"], previous_status, fields["status"])


class VerdictRepository:
    """Claims' verification and its history."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    # -- verification -------------------------------------------------------------------------

    def update(
        self,
        cid: str,
        changes: Mapping[str, Any],
        *,
        by: str,
        expected_versions: list[int] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Merge `changes` (any of status, note, evidence, review_url) into a claim's
        verification and copy the result to the claims of its cluster that take it
        (`rules.propagates`), each with its own history entry naming the claim it came from.

        Returns ``(claim fields, changed)``. A change that changes nothing writes nothing: no
        version, no history, no event. Raises NotFound for an unknown claim and
        VersionMismatch when ``expected_versions`` is given and the claim's current version
        is not among them; then nothing is written either.
        """
        if not is_id("clm", cid):
            raise NotFound(cid)
        key = Keys.claim(cid)
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool]:
            pipe.watch(key)
            raw = pipe.get(key)
            if raw is None:
                pipe.unwatch()
                raise NotFound(cid)
            target = records.unpack_claim(cid, raw)
            if expected_versions is not None and target["version"] not in expected_versions:
                pipe.unwatch()
                raise VersionMismatch(target["version"])
            current = records.verification(target)
            wanted = {**current, **{k: v for k, v in changes.items() if k in EDITABLE}}
            if same_verdict(current, wanted):
                pipe.unwatch()
                return target, False
            at = utcnow()
            verdict = {k: wanted[k] for k in EDITABLE} | {"updated_by": by, "updated_at": at}
            verdict["evidence"] = list(verdict["evidence"] or [])
            members = {cid: target}
            cluster_key = Keys.cluster(target["cluster_id"])
            pipe.watch(cluster_key, Keys.cluster_claims(target["cluster_id"]))
            spreads = verdict["status"] != rules.NOT_A_CLAIM and pipe.exists(cluster_key)
            if spreads:
                others = [m for m in pipe.zrange(Keys.cluster_claims(target["cluster_id"]), 0, -1) if m != cid]
                if others:
                    pipe.watch(*(Keys.claim(m) for m in others))
                    for m, other in zip(others, pipe.mget([Keys.claim(m) for m in others])):
                        if other is None:
                            continue
                        fields = records.unpack_claim(m, other)
                        if rules.propagates_to(fields, verdict["status"]) \
                                and not same_verdict(records.verification(fields), verdict):
                            members[m] = fields
            pipe.multi()
            for member, fields in members.items():
                previous = fields["status"]
                extra = {"propagated_from": cid} if member != cid else {}
                fields.update(verdict, version=fields["version"] + 1)
                set_fields(pipe, member, fields, previous)
                pipe.rpush(Keys.history(member), history_entry(previous, verdict, **extra))
                emitter.emit(pipe, "claim.verification_changed", {
                    "claim_id": member, "from": previous, "to": verdict["status"], "by": by, **extra})
            if spreads:
                pipe.hset(cluster_key, mapping=records.verdict_hash(verdict))
            pipe.execute()
            return target, True

        return self.conn.transaction(body, "update_verification")


    def history(self, cid: str) -> list[dict[str, Any]] | None:
        """Verification changes, oldest first; None for an unknown claim."""
        if not is_id("clm", cid):
            return None
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(Keys.claim(cid))
            pipe.lrange(Keys.history(cid), 0, -1)
            exists, entries = pipe.execute()
        if not exists:
            return None
        return [json.loads(e) for e in entries]
