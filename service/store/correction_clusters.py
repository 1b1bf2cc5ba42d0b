"""Where a corrected claim's cluster goes: out of the cluster of its old speaker and words,
into the cluster of the same claim by its new speaker and words (`rules.same_claim`), or into
one of its own. Plain functions: `plan` reads under WATCH, `write` queues the writes inside the
caller's MULTI (`corrections.CorrectionRepository`).

A verdict stays with its claim: the claim keeps its verification, the cluster it leaves keeps
its own, and the claim joins another cluster only when it has no verdict of its own
(`correction_rules.joins_after_correction`), taking that cluster's verdict as a new claim would.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.client import Pipeline

from . import correction_rules, records, rules
from .layout import Keys
from .values import claim_id, claim_of_cluster, cluster_of_claim
from .reads import watch_claims
from .text import claim_signature, normalize_claim

MAX_LOG = 500


@dataclass
class Move:
    """What a correction does to clusters."""

    leave: str | None = None  # the shared cluster the claim leaves
    new_first: str | None = None  # that cluster's first claim, when it was this claim
    target: str = ""  # the cluster the claim ends in
    create: dict[str, Any] | None = None  # keys to create for the target (id, first, first_seq, verdict)
    verdict: dict[str, Any] | None = None  # the target's verdict, when the claim takes it
    joined: bool = False  # whether the claim joins another claim's cluster
    table: tuple[str, str, list[str]] | None = None  # (speaker id, signature, cluster ids) to store
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def plan(pipe: Pipeline, redis: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> Move:
    """The move of claim `old` (its stored fields) now that it reads `new`."""
    cid = old["id"]
    move = Move(target=old["cluster_id"])
    if rules.same_claim(old, new):
        return move
    current = old["cluster_id"]
    pipe.watch(Keys.cluster(current), Keys.cluster_claims(current))
    others = [m for m in pipe.zrange(Keys.cluster_claims(current), 0, -1) if m != cid]
    own = current
    if others:
        move.leave = current
        if (pipe.hget(Keys.cluster(current), "first_claim") or claim_of_cluster(current)) == cid:
            move.new_first = others[0]
        own = cluster_of_claim(cid)
        pipe.watch(Keys.cluster(own))
        if own == current or pipe.exists(Keys.cluster(own)):
            # Its natural id is taken: a fresh seq from the claim counter is nobody's id.
            own = "cls_" + claim_id(redis.incr(Keys.claim_seq)).partition("_")[2]
            move.create = {"id": own, "first": cid, "first_seq": old["seq"],
                           "verdict": records.verification(old), "speaker_id": new["speaker_id"]}
    move.target = own
    signature = claim_signature(rules.stance_of(new), normalize_claim(new["text"]))
    key = Keys.signature(new["speaker_id"], signature)
    pipe.watch(key)
    ids = (pipe.get(key) or "").split()
    if correction_rules.joins_after_correction(old.get("status") or "unverified"):
        for candidate in ids:
            if candidate in (own, current):
                continue
            pipe.watch(Keys.cluster(candidate), Keys.cluster_claims(candidate))
            stored = pipe.hgetall(Keys.cluster(candidate))
            first = stored.get("first_claim") or claim_of_cluster(candidate)
            found = watch_claims(pipe, [first]).get(first)
            if found is None or found["cluster_id"] != candidate or found.get("superseded_in_revision") is not None \
                    or not rules.same_claim(new, found):
                continue
            verdict = records.verification(stored if stored else found)
            move.target = candidate
            move.create = None if stored else {"id": candidate, "first": first, "first_seq": found["seq"],
                                               "verdict": verdict, "speaker_id": new["speaker_id"]}
            move.verdict = verdict if rules.inherits(verdict["status"]) else None
            move.joined = True
            if move.leave is None and stored_keys(pipe, current):
                move.leave = current  # alone in a cluster with keys (split out earlier)
            break
    if move.target not in ids:
        move.table = (new["speaker_id"], signature, ids + [move.target])
    return move


def write(pipe: Pipeline, cid: str, seq: int, move: Move, by: str, at: str) -> None:
    """Queue the cluster writes of `move` (the claim record is the caller's)."""
    if move.leave is not None:
        pipe.zrem(Keys.cluster_claims(move.leave), cid)
        if move.new_first is not None:
            pipe.hset(Keys.cluster(move.leave), "first_claim", move.new_first)
        _log(pipe, move.leave, {"action": "corrected_out", "claim_id": cid, "to_cluster": move.target,
                                "by": by, "at": at})
    if move.create is not None:
        create = move.create
        pipe.hset(Keys.cluster(create["id"]), mapping={
            "id": create["id"], "speaker_id": create["speaker_id"], "first_claim": create["first"],
            **records.verdict_hash(create["verdict"])})
        pipe.zadd(Keys.cluster_claims(create["id"]), {create["first"]: create["first_seq"]})
    if move.joined:
        pipe.zadd(Keys.cluster_claims(move.target), {cid: seq})
    if move.table is not None:
        sid, signature, ids = move.table
        pipe.set(Keys.signature(sid, signature), " ".join(ids))


def stored_keys(pipe: Pipeline, clsid: str) -> bool:
    return bool(pipe.exists(Keys.cluster(clsid)))


def _log(pipe: Pipeline, clsid: str, entry: Mapping[str, Any]) -> None:
    pipe.rpush(Keys.cluster_log(clsid), json.dumps(dict(entry)))
    pipe.ltrim(Keys.cluster_log(clsid), -MAX_LOG, -1)
