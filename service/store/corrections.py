"""Reviewers' corrections in Redis: a claim's speaker, span, stance and type set right, and
claims the extractor missed added, each with an entry in the claim's history and a
`claim.corrected` event.

Each article keeps its corrections in one hash (`Keys.corrections`): which fields of which
claim a reviewer corrected, and the extractor's original reading of the claim, by which a
re-extraction finds it again. The extraction save reads that hash under WATCH
(`claim_saving`), and a correction WATCHes the claims the save writes, so whichever commits
second starts again on what the first wrote: a correction is never written over. What the
extractor may still do to a corrected claim is `correction_rules`.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline

from . import correction_clusters, correction_rules, records, speakers
from .base import Conflict, NotFound, VersionMismatch
from .connection import Connection
from .events import Feed
from .layout import UNINDEXED_STATUS, Keys
from .values import claim_id, epoch_ms, is_id, new_id, utcnow
from .reads import add_claims, current_speaker, live_article, remove_claim, status_indexes, watch_claims
from .text import words


class CorrectionRepository:
    """Corrections of claims and claims added by reviewers."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    def corrected_since(self, since_ms: int | None = None) -> list[str]:
        """Ids of articles with corrected or added claims (last corrected at or after `since_ms`)."""
        return self.redis.zrangebyscore(Keys.corrected_articles, "-inf" if since_ms is None else since_ms, "+inf")

    def of_article(self, aid: str) -> dict[str, dict[str, Any]]:
        """The article's corrections by claim id: fields, original, origin."""
        if not is_id("art", aid):
            return {}
        return {cid: json.loads(v) for cid, v in self.redis.hgetall(Keys.corrections(aid)).items()}

    # -- correcting a claim ---------------------------------------------------------------------

    def correct(self, cid: str, changes: Mapping[str, Any], *, by: str,
                expected_versions: list[int] | None = None) -> tuple[dict[str, Any], bool]:
        """Apply a reviewer's corrections to a claim. `changes` holds any of ``speaker`` (``{"id"}``
        of a registry speaker, or ``{"name", "kind", "title"}`` of a new one), ``span``
        (``{"start", "end"}`` in the article's current text), ``stance`` and ``type``.

        Returns ``(claim fields, changed)``; a correction that changes nothing writes nothing.
        Raises NotFound, Gone (its article was taken down), VersionMismatch, or Conflict (a span
        that is not the article's words or overlaps another claim, a superseded claim, an
        unknown speaker, a new speaker whose name the registry already has).
        """
        if not is_id("clm", cid):
            raise NotFound(cid)
        emitter = self.feed.emitter()
        spare: list[str] = []

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool]:
            claim = watch_claims(pipe, [cid]).get(cid)
            if claim is None:
                pipe.unwatch()
                raise NotFound(cid)
            if expected_versions is not None and claim["version"] not in expected_versions:
                pipe.unwatch()
                raise VersionMismatch(claim["version"])
            if claim.get("superseded_in_revision") is not None:
                pipe.unwatch()
                raise Conflict("the claim is no longer in its article's text (superseded); it cannot be corrected")
            aid = claim["article_id"]
            text, siblings, corrections = self._watch_article(pipe, aid)
            wanted = dict(claim)
            plan = None
            if "speaker" in changes:
                plan = self._speaker(pipe, wanted, changes["speaker"], spare)
            if "span" in changes:
                self._span(wanted, changes["span"], text, siblings)
            for name in ("stance", "type"):
                if changes.get(name) is not None:
                    wanted[name] = changes[name]
            changed = correction_rules.changes(claim, wanted)
            if not changed:
                pipe.unwatch()
                return claim, False
            move = correction_clusters.plan(pipe, self.redis, claim, wanted)
            at = utcnow()
            correction = corrections.get(cid) or {"origin": claim.get("origin") or "extractor", "fields": [],
                                                   "original": _reading(claim)}
            correction["fields"] = sorted(set(correction["fields"]) | set(changed))
            wanted["corrected"] = correction["fields"]
            pipe.multi()
            if plan is not None and plan.new:
                speakers.apply(pipe, [plan], at)
            self._write(pipe, claim, wanted, move, by, at)
            pipe.hset(Keys.corrections(aid), cid, json.dumps(correction))
            pipe.zadd(Keys.corrected_articles, {aid: epoch_ms(at)})
            entry = {"from": claim["status"], "to": wanted["status"], "at": at, "by": by, "note": None,
                     "evidence": [], "review_url": None, "corrected": changed}
            pipe.rpush(Keys.history(cid), json.dumps(entry))
            emitter.emit(pipe, "claim.corrected", {"claim_id": cid, "article_id": aid, "by": by,
                                                   "fields": sorted(changed), "changes": changed,
                                                   "cluster_id": wanted["cluster_id"]})
            pipe.execute()
            return wanted, True

        return self.conn.transaction(body, "correct_claim")

    def add(self, aid: str, claim: Mapping[str, Any], *, by: str) -> dict[str, Any]:
        """Store a claim the extractor missed: ``span`` in the article's current text,
        ``speaker`` (as for `correct`), ``stance`` and ``type``; marked ``origin: reviewer``.
        Raises NotFound, Gone, or Conflict (as for `correct`, and while the article is being
        extracted: its claims are about to be replaced)."""
        if not is_id("art", aid):
            raise NotFound(aid)
        emitter = self.feed.emitter()
        spare: list[str] = []
        seq = self.redis.incr(Keys.claim_seq)
        cid = claim_id(seq)

        def body(pipe: Pipeline) -> dict[str, Any]:
            text, siblings, corrections = self._watch_article(pipe, aid)
            status, revision = pipe.hmget(Keys.article(aid), "status", "revision")
            if status != "done":
                pipe.unwatch()
                raise Conflict(f"the article is {status}; add claims once its extraction is done")
            at = utcnow()
            fields: dict[str, Any] = {
                "id": cid, "seq": seq, "article_id": aid, "cue": "", "confidence": 1.0, "created_at": at,
                "version": 1, "status": UNINDEXED_STATUS, "stance": claim.get("stance") or "asserts",
                "type": claim.get("type") or "indirect", "revision": int(revision or 1),
                "superseded_in_revision": None, "extractor_version": None, "origin": "reviewer",
                "cluster_id": "cls_" + cid.partition("_")[2], "speaker_id": None, "speaker_name": "",
                "speaker_kind": "unknown", "speaker_mention": "", "speaker_title": None, "text": "",
                "start": 0, "end": 0, "corrected": []}
            plan = self._speaker(pipe, fields, claim["speaker"], spare)
            self._span(fields, claim["span"], text, siblings)
            move = correction_clusters.plan(pipe, self.redis, {**fields, "speaker_id": None}, fields)
            fields["cluster_id"] = move.target
            if move.verdict is not None:
                fields.update(move.verdict)
            correction = {"origin": "reviewer", "fields": [], "original": None}
            pipe.multi()
            if plan is not None and plan.new:
                speakers.apply(pipe, [plan], at)
            pipe.set(Keys.claim(cid), records.pack_claim(cid, fields))
            for index in self._indexes(fields):
                add_claims(pipe, index, {cid: seq})
            self._index_words(pipe, fields, add=True)
            pipe.zadd(Keys.seq_times, {f"{seq}:{seq}": epoch_ms(at)})
            correction_clusters.write(pipe, cid, seq, move, by, at)
            pipe.hset(Keys.corrections(aid), cid, json.dumps(correction))
            pipe.zadd(Keys.corrected_articles, {aid: epoch_ms(at)})
            pipe.hincrby(Keys.article(aid), "claim_count", 1)
            entry = {"from": UNINDEXED_STATUS, "to": fields["status"], "at": at, "by": by, "note": None,
                     "evidence": [], "review_url": None, "added": True,
                     **({"inherited_from": move.target} if move.verdict else {})}
            pipe.rpush(Keys.history(cid), json.dumps(entry))
            emitter.emit(pipe, "claim.created", {"claim_id": cid, "article_id": aid, "speaker_id": fields["speaker_id"],
                                                 "cluster_id": fields["cluster_id"], "stance": fields["stance"],
                                                 "origin": "reviewer", "by": by})
            pipe.execute()
            return fields

        return self.conn.transaction(body, "add_claim")

    # -- parts of both ----------------------------------------------------------------------------

    def _watch_article(self, pipe: Pipeline, aid: str) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """The article's text, its current claims and its corrections, read under WATCH."""
        pipe.watch(Keys.article(aid), Keys.article_claims(aid), Keys.corrections(aid))
        text, = live_article(pipe, aid, "text")
        ids = pipe.zrange(Keys.article_claims(aid), 0, -1)
        found = watch_claims(pipe, ids)
        siblings = [f for f in found.values() if f.get("superseded_in_revision") is None
                    and f.get("status") != "not_a_claim"]
        corrections = {c: json.loads(v) for c, v in pipe.hgetall(Keys.corrections(aid)).items()}
        return text or "", siblings, corrections

    def _speaker(self, pipe: Pipeline, fields: dict[str, Any], wanted: Mapping[str, Any],
                 spare: list[str]) -> speakers.SpeakerPlan | None:
        """Set `fields`' speaker: a registry speaker by id, or a new one; returns the new
        speaker's plan (its writes are queued by the caller)."""
        title = wanted.get("title")
        if wanted.get("id"):
            sid = current_speaker(self.redis, wanted["id"])
            if sid is None:
                raise Conflict(f"there is no speaker {wanted['id']!r}; search the registry (GET /v1/speakers)")
            pipe.watch(Keys.speaker(sid))
            name, kind = pipe.hmget(Keys.speaker(sid), "name", "kind")
            mention = fields.get("speaker_mention") if sid == fields.get("speaker_id") else name
            fields.update(speaker_id=sid, speaker_name=name, speaker_kind=kind or "person",
                          speaker_mention=mention or name,
                          speaker_title=title if "title" in wanted else fields.get("speaker_title"))
            return None
        name, kind = " ".join(wanted["name"].split()), wanted["kind"]
        if kind in speakers.NAMED:
            key = speakers.name_key(kind, name)
            pipe.watch(key)
            existing = pipe.get(key)
            if existing:
                raise Conflict(f"the registry already has a {kind} named {name!r} ({existing}); correct the "
                               "speaker to that id instead")
        if not spare:
            spare.append(new_id("spk"))
        plan = speakers.SpeakerPlan(spare[0], name, kind, new=True, names={name},
                                    titles={title} if title else set(), claims=1)
        fields.update(speaker_id=plan.sid, speaker_name=name, speaker_kind=kind, speaker_mention=name,
                      speaker_title=title)
        return plan

    @staticmethod
    def _span(fields: dict[str, Any], span: Mapping[str, Any], text: str, siblings: list[dict[str, Any]]) -> None:
        start, end = int(span["start"]), int(span["end"])
        problem = correction_rules.span_problem(text, start, end)
        if problem is not None:
            raise Conflict(problem)
        other = correction_rules.overlapping(start, end, siblings, but=fields.get("id"))
        if other is not None:
            raise Conflict(f"the span overlaps claim {other['id']} ({other['start']}-{other['end']}: "
                           f"\u201c{other['text'][:80]}\u201d); correct or mark that claim first")
        fields.update(start=start, end=end, text=text[start:end])

    @staticmethod
    def _indexes(fields: Mapping[str, Any]) -> list[str]:
        """Every index a claim is in, but for search words (as `claim_saving._write_claim`): a
        status's come from `reads.status_indexes`, as for every writer of a status."""
        out = [Keys.claims, Keys.article_claims(fields["article_id"]), Keys.by_type(fields["type"]),
               Keys.by_speaker(fields["speaker_id"])]
        if fields["stance"] != "asserts":
            out.append(Keys.by_stance(fields["stance"]))
        if fields["speaker_kind"] not in speakers.NAMED:
            out.append(Keys.by_name(fields["speaker_name"]))
        out += status_indexes(fields["status"])
        return out

    def _index_words(self, pipe: Pipeline, fields: Mapping[str, Any], add: bool) -> None:
        if not self.conn.options.search_index:
            return
        for word in words(fields["text"]):
            if add:
                add_claims(pipe, Keys.by_word(word), {fields["id"]: fields["seq"]})
            else:
                remove_claim(pipe, Keys.by_word(word), fields["id"])

    def _write(self, pipe: Pipeline, old: dict[str, Any], new: dict[str, Any], move: correction_clusters.Move,
               by: str, at: str) -> None:
        """Queue a corrected claim's record, its index moves and its cluster move."""
        cid, seq = old["id"], old["seq"]
        new["cluster_id"] = move.target
        if move.verdict is not None:
            new.update(move.verdict)
        new["version"] = old["version"] + 1
        pipe.set(Keys.claim(cid), records.pack_claim(cid, new))
        before, after = set(self._indexes(old)), set(self._indexes(new))
        for index in before - after:
            remove_claim(pipe, index, cid)
        for index in after - before:
            add_claims(pipe, index, {cid: seq})
        if old["text"] != new["text"]:
            self._index_words(pipe, old, add=False)
            self._index_words(pipe, new, add=True)
        correction_clusters.write(pipe, cid, seq, move, by, at)


def _reading(claim: Mapping[str, Any]) -> dict[str, Any]:
    """The extractor's reading of a claim, by which re-extraction finds it again."""
    return {name: claim.get(name) for name in ("speaker_id", "speaker_kind", "speaker_name", "stance", "text",
                                               "start", "end", "type")}

