"""Clusters in Redis: which cluster a new claim joins (and the verdict it inherits), a
verifier's links and splits, a cluster's appearances, and the claims that may be the same
claim (suggestions). What may join is decided by `rules.py`; this module only reads and writes.

`plan` and `write` are the part of saving an article's claims (`claim_saving`) that concerns
clusters; `ClusterRepository` is what verifiers do with clusters.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.client import Pipeline

from . import reads, records, rules
from .base import Conflict, NotFound
from .connection import Connection
from .events import Feed
from .layout import Keys
from .values import claim_id, claim_of_cluster, cluster_of_claim, is_id, seq_of_claim, utcnow
from .reads import watch_claims
from .suggestions import ranked_suggestions, suggestion_of
from .text import claim_signature, normalize_claim
from .verdicts import history_entry, set_fields

#: How many of the speaker's newest claims `similar` compares.
SIMILAR_SCAN = 1000
MAX_LOG = 500

# -- clusters of new claims ------------------------------------------------------------------


def plan(
    pipe: Pipeline, redis: Redis, rows: list[tuple[str, int, Mapping[str, Any], Any]]
) -> tuple[dict[str, dict], dict[tuple[str, str], list[str]]]:
    """For each new claim: the cluster it joins (and the verdict it inherits), or its own;
    and the speaker-table entries that change.

    A speaker's clusters are filed under a signature of stance and normalised text (one
    key per speaker and signature, all read in one MGET), so a new claim reads one entry; the first claim of each cluster filed there is read
    (in one batch) and compared with `rules.same_claim`, which a digest alone must not
    decide. A cluster's keys are created by the second claim to join it (its "create"
    plan, which records the first claim), whether the first came in an earlier article or
    in this one. Reads happen under WATCH; nothing is written.
    """
    tables: dict[tuple[str, str], list[str]] = {}
    changed: set[tuple[str, str]] = set()
    plans: dict[str, dict] = {}
    mine = {cluster_of_claim(cid): {"speaker_id": plan.sid, "stance": claim.get("stance") or "asserts",
                                    "text": claim["text"], "status": "unverified"}
            for cid, _, claim, plan in rows}
    promoted: dict[str, dict] = {}  # cluster id -> its create plan, once a second claim joined
    signatures = {cid: claim_signature(claim.get("stance") or "asserts", normalize_claim(claim["text"]))
                  for cid, _, claim, _ in rows}
    wanted = sorted({(plan.sid, signatures[cid]) for cid, _, _, plan in rows if not plan.new})
    if wanted:
        keys = [Keys.signature(sid, signature) for sid, signature in wanted]
        pipe.watch(*keys)
        tables = {entry: ids.split() if ids else [] for entry, ids in zip(wanted, pipe.mget(keys))}
    candidates = sorted({c for ids in tables.values() for c in ids})
    first_of = {c: claim_of_cluster(c) for c in candidates}
    hashes: dict[str, dict[str, str]] = {}
    if candidates:
        # Every candidate's hash, WATCHed in one command and read in one batch: a new claim
        # that joins one inherits its verdict from it, with no read of its own. A cluster made
        # by a split or by the migration has an id of its own, not its first claim's: its hash
        # names that claim.
        pipe.watch(*(Keys.cluster(c) for c in candidates))
        with redis.pipeline(transaction=False) as reads:
            for c in candidates:
                reads.hgetall(Keys.cluster(c))
            hashes = {c: stored for c, stored in zip(candidates, reads.execute()) if stored}
        for c, stored in hashes.items():
            if stored.get("first_claim"):
                first_of[c] = stored["first_claim"]
    firsts = watch_claims(pipe, sorted(set(first_of.values())))
    for cid, _, claim, plan in rows:
        entry = (plan.sid, signatures[cid])
        tables.setdefault(entry, [])
        me = mine[cluster_of_claim(cid)]
        match = next((c for c in tables[entry]
                      if rules.same_claim(me, mine.get(c) or firsts.get(first_of.get(c, "")) or
                                          {"speaker_id": None, "text": ""})), None)
        if match is None:
            own = cluster_of_claim(cid)
            tables[entry].append(own)
            changed.add(entry)
            plans[cid] = {"id": own, "joined": False, "create": None, "verdict": None}
            continue
        create = None
        stored = hashes.get(match)
        if stored:
            verdict = records.verification(stored)
        elif match in promoted:
            verdict = promoted[match]["verdict"]
        else:
            first = claim_of_cluster(match)
            found = firsts.get(first, {})  # {} when the first claim is in this very article
            verdict = records.verification(found if rules.inherits(found.get("status") or "unverified") else {})
            create = promoted[match] = {"id": match, "first": first, "speaker_id": plan.sid,
                                        "verdict": verdict, "first_seq": seq_of_claim(first)}
        plans[cid] = {"id": match, "joined": True, "create": create, "verdict": verdict}
    return plans, {entry: tables[entry] for entry in changed}

def write(pipe: Pipeline, cid: str, seq: int, cluster: Mapping[str, Any]) -> None:
    """Queue the cluster writes of a new claim planned by `_plan_clusters`."""
    create = cluster["create"]
    if create is not None:
        pipe.hset(Keys.cluster(cluster["id"]), mapping={
            "id": cluster["id"], "speaker_id": create["speaker_id"], "first_claim": create["first"],
            **records.verdict_hash(create["verdict"])})
        pipe.zadd(Keys.cluster_claims(cluster["id"]), {create["first"]: create["first_seq"]})
    if cluster["joined"]:
        pipe.zadd(Keys.cluster_claims(cluster["id"]), {cid: seq})


class ClusterRepository:
    """Clusters as verifiers see and change them."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    # -- linking and splitting ----------------------------------------------------------------

    def _watch_cluster(self, pipe: Pipeline, clsid: str) -> tuple[dict[str, str], dict[str, Any]] | None:
        """A cluster's hash ({} for a one-claim cluster) and the claim that stands for it
        (its first claim, or its only one), read under WATCH; None when there is no such
        cluster."""
        pipe.watch(Keys.cluster(clsid), Keys.cluster_claims(clsid))
        stored = pipe.hgetall(Keys.cluster(clsid))
        first = stored.get("first_claim") if stored else claim_of_cluster(clsid)
        found = watch_claims(pipe, [first]).get(first)
        if not stored and (found is None or found["cluster_id"] != clsid):
            return None
        if found is None:
            return None
        return stored, found

    def link(self, clsid: str, cid: str, *, by: str) -> tuple[dict[str, Any], bool]:
        """Put claim `cid` into cluster `clsid` on a verifier's word; it takes the cluster's
        verification. Returns ``(claim fields, changed)``; linking a member again changes
        nothing. Raises NotFound (claim or cluster) or Conflict (`rules.link_refusal`)."""
        if not is_id("clm", cid):
            raise NotFound(cid)
        if not is_id("cls", clsid):
            raise NotFound(clsid)
        emitter = self.feed.emitter()

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool]:
            claim = watch_claims(pipe, [cid]).get(cid)
            if claim is None:
                pipe.unwatch()
                raise NotFound(cid)
            cluster = self._watch_cluster(pipe, clsid)
            if cluster is None:
                pipe.unwatch()
                raise NotFound(clsid)
            stored, reference = cluster
            if claim["cluster_id"] == clsid:
                pipe.unwatch()
                return claim, False
            refusal = rules.link_refusal(claim, reference)
            if refusal is None and not stored and reference["status"] == rules.NOT_A_CLAIM:
                refusal = "the cluster's only claim is marked not_a_claim"
            if refusal is not None:
                pipe.unwatch()
                raise Conflict(refusal)
            old = claim["cluster_id"]
            pipe.watch(Keys.cluster(old))
            old_is_shared = bool(pipe.exists(Keys.cluster(old)))
            verdict = records.verification(stored if stored else reference)
            at = utcnow()
            previous = claim["status"]
            pipe.multi()
            if not stored:
                pipe.hset(Keys.cluster(clsid), mapping={"id": clsid, "speaker_id": reference["speaker_id"],
                                                        "first_claim": reference["id"], **records.verdict_hash(verdict)})
                pipe.zadd(Keys.cluster_claims(clsid), {reference["id"]: reference["seq"]})
            pipe.zadd(Keys.cluster_claims(clsid), {cid: claim["seq"]})
            if old_is_shared:
                pipe.zrem(Keys.cluster_claims(old), cid)
                self._log(pipe, old, {"action": "unlinked", "claim_id": cid, "to_cluster": clsid, "by": by, "at": at})
            self._log(pipe, clsid, {"action": "linked", "claim_id": cid, "from_cluster": old, "by": by, "at": at})
            claim.update(verdict, cluster_id=clsid, version=claim["version"] + 1)
            set_fields(pipe, cid, claim, previous)
            pipe.rpush(Keys.history(cid), history_entry(previous, {**verdict, "updated_by": by, "updated_at": at},
                                                   linked_to=clsid))
            emitter.emit(pipe, "claim.linked", {"claim_id": cid, "cluster_id": clsid, "from_cluster": old, "by": by})
            if previous != verdict["status"]:
                emitter.emit(pipe, "claim.verification_changed", {
                    "claim_id": cid, "from": previous, "to": verdict["status"], "by": by, "inherited_from": clsid})
            pipe.execute()
            return claim, True

        return self.conn.transaction(body)

    def split(self, clsid: str, cid: str, *, by: str) -> dict[str, Any]:
        """Take claim `cid` out of cluster `clsid` into a cluster of its own, keeping its
        verification. Raises NotFound (claim not in that cluster) or Conflict (alone in it)."""
        if not (is_id("clm", cid) and is_id("cls", clsid)):
            raise NotFound(cid)
        emitter = self.feed.emitter()
        spare: list[str] = []

        def body(pipe: Pipeline) -> dict[str, Any]:
            claim = watch_claims(pipe, [cid]).get(cid)
            if claim is None or claim["cluster_id"] != clsid:
                pipe.unwatch()
                raise NotFound(cid)
            pipe.watch(Keys.cluster(clsid), Keys.cluster_claims(clsid), Keys.cluster(cluster_of_claim(cid)))
            if not pipe.exists(Keys.cluster(clsid)) or pipe.zcard(Keys.cluster_claims(clsid)) < 2:
                pipe.unwatch()
                raise Conflict("the claim is already alone in its cluster")
            own = cluster_of_claim(cid)
            keyed = own == clsid or bool(pipe.exists(Keys.cluster(own)))
            if keyed:
                # Its natural id is taken: a fresh seq from the claim counter is nobody's id.
                if not spare:
                    spare.append("cls_" + claim_id(self.redis.incr(Keys.claim_seq)).partition("_")[2])
                own = spare[0]
            at = utcnow()
            pipe.multi()
            pipe.zrem(Keys.cluster_claims(clsid), cid)
            if keyed:
                pipe.hset(Keys.cluster(own), mapping={"id": own, "speaker_id": claim["speaker_id"],
                                                      "first_claim": cid,
                                                      **records.verdict_hash(records.verification(claim))})
                pipe.zadd(Keys.cluster_claims(own), {cid: claim["seq"]})
            self._log(pipe, clsid, {"action": "split", "claim_id": cid, "to_cluster": own, "by": by, "at": at})
            claim.update(cluster_id=own, version=claim["version"] + 1)
            pipe.set(Keys.claim(cid), records.pack_claim(cid, claim))
            pipe.rpush(Keys.history(cid), history_entry(
                claim["status"], {**records.verification(claim), "updated_by": by, "updated_at": at},
                split_from=clsid))
            emitter.emit(pipe, "claim.split", {"claim_id": cid, "cluster_id": own, "from_cluster": clsid, "by": by})
            pipe.execute()
            return claim

        return self.conn.transaction(body)

    @staticmethod
    def _log(pipe: Pipeline, clsid: str, entry: Mapping[str, Any]) -> None:
        pipe.rpush(Keys.cluster_log(clsid), json.dumps(dict(entry)))
        pipe.ltrim(Keys.cluster_log(clsid), -MAX_LOG, -1)

    # -- reading clusters and suggestions -----------------------------------------------------

    def get(self, clsid: str) -> dict[str, Any] | None:
        """A cluster with its appearances, earliest publication first (marked `first`), and
        the log of claims verifiers linked into it or split out of it (`reads.shown_cluster`)."""
        if not is_id("cls", clsid):
            return None
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(Keys.cluster(clsid))
            pipe.zrange(Keys.cluster_claims(clsid), 0, -1)
            pipe.lrange(Keys.cluster_log(clsid), 0, -1)
            stored, member_ids, log = pipe.execute()
        if not stored:
            member_ids = [claim_of_cluster(clsid)]
        return reads.shown_cluster(clsid, stored, reads.claims(self.conn, member_ids), log)

    def similar(self, cid: str, limit: int = 20, scan: int = SIMILAR_SCAN
                       ) -> list[dict[str, Any]] | None:
        """Claims of other clusters that may be the same claim (`rules.suggestion`), best
        first, one per cluster; None for an unknown claim.

        Compares the speaker's `scan` newest claims: a suggestion is an aid to a person, and a
        speaker with more claims than that is better searched (`q`).
        """
        if not is_id("clm", cid):
            return None
        raw = self.redis.get(Keys.claim(cid))
        if raw is None:
            return None
        claim = records.unpack_claim(cid, raw)
        ids = [i for i in self.redis.zrevrange(Keys.by_speaker(claim["speaker_id"]), 0, scan - 1) if i != cid]
        ranked = ranked_suggestions(claim, zip(ids, self.redis.mget([Keys.claim(i) for i in ids]) if ids else []),
                                    limit)
        shown = {c["id"]: c for c in reads.claims(self.conn, [other["id"] for _, _, other in ranked])}
        return [suggestion_of(clsid, found, shown[other["id"]]) for clsid, found, other in ranked
                if other["id"] in shown]
