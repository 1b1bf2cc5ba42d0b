"""Verdicts and clusters in Redis: setting a claim's verification, copying it across its
cluster, linking and splitting claims, and finding similar claims. What may join or travel is
decided by the plain functions of `rules.py`; this module only reads and writes.

A mixin of `Store` (it uses the store's connection, emitter and claim readers), kept apart
because it is the part of the store that decides what a newsroom publishes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from redis.client import Pipeline

from . import records, rules
from .base import Conflict, NotFound, VersionMismatch, transaction
from .layout import Keys, claim_id, claim_of_cluster, cluster_of_claim, is_id, seq_of_claim, utcnow
from .text import claim_signature, normalize_claim

if TYPE_CHECKING:
    from .store import Store

#: The verification fields a fact-checker sets; the rest of a verdict says who and when.
EDITABLE = ("status", "note", "evidence", "review_url")
#: How many of the speaker's newest claims `similar_claims` compares.
SIMILAR_SCAN = 1000
MAX_LOG = 500


def _same_verdict(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all((a.get(k) or None) == (b.get(k) or None) for k in ("status", "note", "review_url")) \
        and list(a.get("evidence") or []) == list(b.get("evidence") or [])


def _history(previous: str, verdict: Mapping[str, Any], **extra: Any) -> str:
    entry = {"from": previous, "to": verdict["status"], "at": verdict["updated_at"], "by": verdict["updated_by"],
             "note": verdict.get("note"), "evidence": list(verdict.get("evidence") or []),
             "review_url": verdict.get("review_url"), **extra}
    return json.dumps(entry)


def _set_fields(pipe: Pipeline, cid: str, fields: dict[str, Any], previous_status: str) -> None:
    """Write a rewritten claim and move it between status indexes if its status changed."""
    pipe.set(Keys.claim(cid), records.pack_claim(cid, fields))
    if previous_status != fields["status"]:
        pipe.zrem(Keys.by_status(previous_status), cid)
        pipe.zadd(Keys.by_status(fields["status"]), {cid: fields["seq"]})


class VerdictStore:
    """Verification, clusters and suggestions (mixed into `Store`)."""

    # -- clusters of new claims -------------------------------------------------------------

    def _plan_clusters(
        self: "Store", pipe: Pipeline, rows: list[tuple[str, int, Mapping[str, Any], Any]]
    ) -> tuple[dict[str, dict], dict[tuple[str, str], list[str]]]:
        """For each new claim: the cluster it joins (and the verdict it inherits), or its own;
        and the speaker-table entries that change.

        A speaker's table files cluster ids under a signature of stance and normalised text,
        so a new claim reads one entry; the first claim of each cluster filed there is read
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
            pipe.watch(*{Keys.speaker_clusters(sid) for sid, _ in wanted})
            with self.redis.pipeline(transaction=False) as reads:
                for sid, signature in wanted:
                    reads.hget(Keys.speaker_clusters(sid), signature)
                tables = {entry: ids.split() if ids else [] for entry, ids in zip(wanted, reads.execute())}
        candidates = sorted({c for ids in tables.values() for c in ids})
        first_of = {c: claim_of_cluster(c) for c in candidates}
        if candidates:
            # A cluster made by a split or by the migration has an id of its own, not its
            # first claim's: its hash names that claim.
            with self.redis.pipeline(transaction=False) as reads:
                for c in candidates:
                    reads.hget(Keys.cluster(c), "first_claim")
                for c, named in zip(candidates, reads.execute()):
                    if named:
                        first_of[c] = named
        firsts = self._watch_claims(pipe, sorted(set(first_of.values())))
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
            pipe.watch(Keys.cluster(match))
            stored = pipe.hgetall(Keys.cluster(match))
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

    @staticmethod
    def _write_cluster(pipe: Pipeline, cid: str, seq: int, cluster: Mapping[str, Any]) -> None:
        """Queue the cluster writes of a new claim planned by `_plan_clusters`."""
        create = cluster["create"]
        if create is not None:
            pipe.hset(Keys.cluster(cluster["id"]), mapping={
                "id": cluster["id"], "speaker_id": create["speaker_id"], "first_claim": create["first"],
                **records.verdict_hash(create["verdict"])})
            pipe.zadd(Keys.cluster_claims(cluster["id"]), {create["first"]: create["first_seq"]})
        if cluster["joined"]:
            pipe.zadd(Keys.cluster_claims(cluster["id"]), {cid: seq})

    # -- verification -------------------------------------------------------------------------

    def update_verification(
        self: "Store",
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
        emitter = self._emitter()

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
            if _same_verdict(current, wanted):
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
                                and not _same_verdict(records.verification(fields), verdict):
                            members[m] = fields
            pipe.multi()
            for member, fields in members.items():
                previous = fields["status"]
                extra = {"propagated_from": cid} if member != cid else {}
                fields.update(verdict, version=fields["version"] + 1)
                _set_fields(pipe, member, fields, previous)
                pipe.rpush(Keys.history(member), _history(previous, verdict, **extra))
                emitter.emit(pipe, "claim.verification_changed", {
                    "claim_id": member, "from": previous, "to": verdict["status"], "by": by, **extra})
            if spreads:
                pipe.hset(cluster_key, mapping=records.verdict_hash(verdict))
            pipe.execute()
            return target, True

        return transaction(self.redis, body, self.before_exec, "update_verification")

    # -- linking and splitting ----------------------------------------------------------------

    def _watch_cluster(self: "Store", pipe: Pipeline, clsid: str) -> tuple[dict[str, str], dict[str, Any]] | None:
        """A cluster's hash ({} for a one-claim cluster) and the claim that stands for it
        (its first claim, or its only one), read under WATCH; None when there is no such
        cluster."""
        pipe.watch(Keys.cluster(clsid), Keys.cluster_claims(clsid))
        stored = pipe.hgetall(Keys.cluster(clsid))
        first = stored.get("first_claim") if stored else claim_of_cluster(clsid)
        found = self._watch_claims(pipe, [first]).get(first)
        if not stored and (found is None or found["cluster_id"] != clsid):
            return None
        if found is None:
            return None
        return stored, found

    def link_claim(self: "Store", clsid: str, cid: str, *, by: str) -> tuple[dict[str, Any], bool]:
        """Put claim `cid` into cluster `clsid` on a verifier's word; it takes the cluster's
        verification. Returns ``(claim fields, changed)``; linking a member again changes
        nothing. Raises NotFound (claim or cluster) or Conflict (`rules.link_refusal`)."""
        if not is_id("clm", cid):
            raise NotFound(cid)
        if not is_id("cls", clsid):
            raise NotFound(clsid)
        emitter = self._emitter()

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool]:
            claim = self._watch_claims(pipe, [cid]).get(cid)
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
            _set_fields(pipe, cid, claim, previous)
            pipe.rpush(Keys.history(cid), _history(previous, {**verdict, "updated_by": by, "updated_at": at},
                                                   linked_to=clsid))
            emitter.emit(pipe, "claim.linked", {"claim_id": cid, "cluster_id": clsid, "from_cluster": old, "by": by})
            if previous != verdict["status"]:
                emitter.emit(pipe, "claim.verification_changed", {
                    "claim_id": cid, "from": previous, "to": verdict["status"], "by": by, "inherited_from": clsid})
            pipe.execute()
            return claim, True

        return transaction(self.redis, body)

    def split_claim(self: "Store", clsid: str, cid: str, *, by: str) -> dict[str, Any]:
        """Take claim `cid` out of cluster `clsid` into a cluster of its own, keeping its
        verification. Raises NotFound (claim not in that cluster) or Conflict (alone in it)."""
        if not (is_id("clm", cid) and is_id("cls", clsid)):
            raise NotFound(cid)
        emitter = self._emitter()
        spare: list[str] = []

        def body(pipe: Pipeline) -> dict[str, Any]:
            claim = self._watch_claims(pipe, [cid]).get(cid)
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
            pipe.rpush(Keys.history(cid), _history(
                claim["status"], {**records.verification(claim), "updated_by": by, "updated_at": at},
                split_from=clsid))
            emitter.emit(pipe, "claim.split", {"claim_id": cid, "cluster_id": own, "from_cluster": clsid, "by": by})
            pipe.execute()
            return claim

        return transaction(self.redis, body)

    @staticmethod
    def _log(pipe: Pipeline, clsid: str, entry: Mapping[str, Any]) -> None:
        pipe.rpush(Keys.cluster_log(clsid), json.dumps(dict(entry)))
        pipe.ltrim(Keys.cluster_log(clsid), -MAX_LOG, -1)

    # -- reading clusters and suggestions -----------------------------------------------------

    def is_shared_cluster(self: "Store", clsid: str) -> bool:
        """Whether the cluster holds two claims or more (one EXISTS; `get_cluster` reads it all)."""
        return is_id("cls", clsid) and bool(self.redis.exists(Keys.cluster(clsid)))

    def get_cluster(self: "Store", clsid: str) -> dict[str, Any] | None:
        """A cluster with its appearances, earliest publication first (marked `first`), and
        the log of claims verifiers linked into it or split out of it."""
        if not is_id("cls", clsid):
            return None
        stored = self.redis.hgetall(Keys.cluster(clsid))
        member_ids = self.redis.zrange(Keys.cluster_claims(clsid), 0, -1) if stored else [claim_of_cluster(clsid)]
        claims = [c for c in self._claims(member_ids)
                  if c["cluster_id"] == clsid and c["superseded_in_revision"] is None]
        if not claims:
            return None
        with self.redis.pipeline(transaction=False) as pipe:
            for c in claims:
                pipe.hmget(Keys.article(c["article_id"]), "url", "published_at", "title")
            pipe.lrange(Keys.cluster_log(clsid), 0, -1)
            *articles, log = pipe.execute()
        appearances = [
            {"claim_id": c["id"], "article_id": c["article_id"], "url": url or None, "published_at": published or None,
             "title": title or None, "created_at": c["created_at"], "first": False}
            for c, (url, published, title) in zip(claims, articles)
        ]
        appearances.sort(key=lambda a: (a["published_at"] or a["created_at"], a["created_at"]))
        appearances[0]["first"] = True
        first_claim = next(c for c in claims if c["id"] == appearances[0]["claim_id"])
        return {
            "id": clsid,
            "text": first_claim["text"],
            "speaker": first_claim["speaker"],
            "stance": first_claim["stance"],
            "verification": records.verification(stored) if stored else first_claim["verification"],
            "size": len(claims),
            "appearances": appearances,
            "log": [json.loads(e) for e in log],
        }

    def similar_claims(self: "Store", cid: str, limit: int = 20, scan: int = SIMILAR_SCAN
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
        best: dict[str, tuple[rules.Suggestion, dict[str, Any]]] = {}
        for other_id, other_raw in zip(ids, self.redis.mget([Keys.claim(i) for i in ids]) if ids else []):
            if other_raw is None:
                continue
            other = records.unpack_claim(other_id, other_raw)
            if other["cluster_id"] == claim["cluster_id"] or other["status"] == rules.NOT_A_CLAIM:
                continue
            found = rules.suggestion(claim, other)
            if found is not None and (other["cluster_id"] not in best
                                      or found.score > best[other["cluster_id"]][0].score):
                best[other["cluster_id"]] = (found, other)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0].score, -item[1][1]["seq"]))[:limit]
        shown = {c["id"]: c for c in self._claims([other["id"] for _, (_, other) in ranked])}
        return [{"cluster_id": clsid, "score": found.score, "reasons": found.reasons,
                 "differences": found.differences, "claim": shown[other["id"]]}
                for clsid, (found, other) in ranked if other["id"] in shown]
