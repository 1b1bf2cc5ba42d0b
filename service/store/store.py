"""The Store: every read and write of Claimtrack's records (key layout in `layout.py`).

Writes that touch several keys run as optimistic transactions: WATCH what the decision
depends on, read, then queue every write (and its events) in one MULTI/EXEC; if anything
watched changed meanwhile, start again. Readers therefore never see half a change, and two
writers never both act on the same stale read.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from redis import Redis
from redis.client import Pipeline
from rq import Queue
from rq.serializers import JSONSerializer

from . import records, rules, speakers
from .articles import ArticleStore, revision_entry
from .base import SCAN_BUDGET, Conflict, CursorExpired, NotFound, Page
from .base import transaction as _transaction
from .events import Emitter, Hook, read_hooks
from .layout import (
    ARTICLE_STATUSES,
    REVISION_RETENTION,
    Keys,
    claim_id,
    claim_of_cluster,
    decode_cursor,
    encode_cursor,
    epoch_ms,
    format_time,
    is_id,
    new_id,
    normalize_name,
    utcnow,
)
from .scripts import PAGE
from .sessions import SessionStore
from .text import context_span, words
from .verdicts import VerdictStore

DELIVERY_QUEUE = "claimtrack-webhooks"
HOOKS_TTL = 1.0
MAX_DELIVERY_LOG = 200


@dataclass(frozen=True)
class DedupKey:
    """One way of recognising an article that was posted before."""

    kind: str  # "ext", "url" or "idem"
    fingerprint: str
    ttl: int | None = None


@dataclass(frozen=True)
class Options:
    """Store settings that come from configuration."""

    event_retention: int = 7 * 24 * 3600
    webhook_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)
    search_index: bool = True
    revision_retention: int = REVISION_RETENTION


def _s(value: Any) -> str:
    return "" if value is None else str(value)


class Store(VerdictStore, ArticleStore, SessionStore):
    """Claimtrack's records in Redis. One instance per pair of connection pools."""

    def __init__(self, redis: Redis, raw: Redis, options: Options | None = None) -> None:
        """`redis` decodes responses to str for our records; `raw` returns bytes, as RQ
        needs, and serves the job queues. Both talk to the same server."""
        self.redis = redis
        self.raw = raw
        self.options = options or Options()
        self._page = redis.register_script(PAGE)
        self._hooks_cache: tuple[float, list[Hook]] = (0.0, [])
        self._deliveries = Queue(DELIVERY_QUEUE, connection=raw, serializer=JSONSerializer)
        #: Tests only: called between a transaction's reads and its MULTI/EXEC (see `base.transaction`).
        self.before_exec: Callable[[str], None] | None = None

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 5.0, options: Options | None = None) -> "Store":
        settings = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            "health_check_interval": 30,
        }
        return cls(
            Redis.from_url(url, decode_responses=True, **settings),
            Redis.from_url(url, decode_responses=False, **settings),
            options,
        )

    @classmethod
    def for_connection(cls, raw: Redis, options: Options | None = None) -> "Store":
        """A store sharing `raw`'s server and settings (RQ hands jobs a bytes client)."""
        kwargs = {**raw.connection_pool.connection_kwargs, "decode_responses": True}
        pool = type(raw.connection_pool)(connection_class=raw.connection_pool.connection_class, **kwargs)
        return cls(Redis(connection_pool=pool), raw, options)

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def article_counts(self) -> dict[str, int]:
        """How many articles are in each status: the sizes of the status indexes, one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for status in ARTICLE_STATUSES:
                pipe.zcard(Keys.articles_by_status(status))
            return dict(zip(ARTICLE_STATUSES, pipe.execute()))

    @property
    def delivery_queue(self) -> Queue:
        """The RQ queue of webhook deliveries."""
        return self._deliveries

    def _emitter(self) -> Emitter:
        return Emitter(self._hooks(), self._deliveries, self.options.webhook_retry_intervals,
                       self.options.event_retention)

    def _hooks(self) -> list[Hook]:
        """The registered webhooks, read at most once a second per process: every write needs
        them, and they change rarely. A webhook registered elsewhere gets events from at most
        a second later; one deleted elsewhere may have deliveries queued for that second,
        which its delivery jobs then drop."""
        expires, hooks = self._hooks_cache
        if time.monotonic() >= expires:
            hooks = read_hooks(self.redis)
            self._hooks_cache = (time.monotonic() + HOOKS_TTL, hooks)
        return hooks

    # -- articles ---------------------------------------------------------------------------

    def create_article(
        self,
        fields: Mapping[str, Any],
        dedup: Sequence[DedupKey],
        enqueue: Callable[[Pipeline, str], None],
        by: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store a new article and queue its extraction job in the same transaction.

        Returns ``(article, queued)``. When any dedup key already names an article, that
        article is returned and nothing is written or queued; except that an `external_id`
        posted again with a different text is a correction of that article (see
        `revise_article`). WATCH on the dedup keys makes two simultaneous posts of the same
        article create it once.
        """
        dedup_keys = [Keys.dedup(d.kind, d.fingerprint) for d in dedup]
        aid = new_id("art")
        now = utcnow()
        record = {k: _s(v) for k, v in fields.items() if v is not None}
        record.update(id=aid, status="queued", claim_count="0", created_at=now, attempts="0", revision="1",
                      updated_at=now, dedup=" ".join(dedup_keys))
        score = self._listing_score(now)
        record["score"] = str(score)
        emitter = self._emitter()

        def body(pipe: Pipeline) -> tuple[Any, ...] | None:
            if dedup_keys:
                pipe.watch(*dedup_keys)
                for d, existing in zip(dedup, pipe.mget(dedup_keys)):
                    article = self.get_article(existing) if existing else None
                    if article is not None:
                        pipe.unwatch()
                        if d.kind == "ext" and article["text"] != record.get("text", ""):
                            return ("revise", article["id"])
                        return article, False
            pipe.multi()
            pipe.hset(Keys.article(aid), mapping=record)
            pipe.zadd(Keys.pending, {aid: epoch_ms(now)})
            self._index_article(pipe, aid, score, {}, record)
            for d, key in zip(dedup, dedup_keys):
                pipe.set(key, aid, ex=d.ttl)
            pipe.rpush(Keys.revisions(aid), revision_entry(1, now, by, record.get("text", "")))
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid})
            pipe.execute()
            return None

        existing = _transaction(self.redis, body, self.before_exec, "create_article")
        if existing is not None and existing[0] == "revise":
            others = [d for d in dedup if d.kind != "idem"]
            return self.revise_article(existing[1], fields, by or "", enqueue, others)
        if existing is not None:
            return existing
        return records.article(record), True

    def get_article(self, aid: str) -> dict[str, Any] | None:
        if not is_id("art", aid):
            return None
        raw = self.redis.hgetall(Keys.article(aid))
        return records.article(raw) if raw and not raw.get("deleted_at") else None

    def has_article(self, aid: str) -> bool:
        """Whether the article exists (and was not taken down), without reading its text."""
        return is_id("art", aid) and self.redis.hget(Keys.article(aid), "status") is not None

    def requeue_article(
        self, aid: str, enqueue: Callable[[Pipeline, str], None], stuck_after: float | None = None,
        job_is_live: Callable[[str], bool] | None = None,
    ) -> tuple[dict[str, Any], bool] | None:
        """Queue an article again, with its new job, in one transaction.

        Returns ``(article, requeued)``. A `failed` article is requeued; so is one `queued`
        or `processing` for more than `stuck_after` seconds whose job `job_is_live` says is
        in none of RQ's queues and registries (a job lost with a killed worker). Any other
        article is left alone. None for an unknown article.
        """
        if not is_id("art", aid):
            return None
        key = Keys.article(aid)
        emitter = self._emitter()

        def body(pipe: Pipeline) -> bool | None:
            pipe.watch(key)
            status, score, job = pipe.hmget(key, "status", "score", "job")
            if status != "failed" and not self._stuck(pipe, aid, status, job, stuck_after, job_is_live):
                pipe.unwatch()
                return None if status is None else False
            pipe.multi()
            self._set_status(pipe, aid, score, status, "queued")
            pipe.hset(key, mapping={"error": "", "processed_at": ""})
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid, "retry": True})
            pipe.execute()
            return True

        requeued = _transaction(self.redis, body)
        if requeued is None:
            return None
        article = self.get_article(aid)
        assert article is not None
        return article, requeued

    # -- reconciliation (service.queue.reconcile) --------------------------------------------

    @staticmethod
    def remember_job(pipe: Pipeline, aid: str, job_id: str) -> None:
        """Record the article's current extraction job (in the enqueueing transaction), so
        that reconciliation can ask RQ whether it still holds it."""
        pipe.hset(Keys.article(aid), "job", job_id)

    def text_length(self, aid: str) -> int:
        """Characters of the article's text (its time budget grows with it)."""
        return int(self.redis.hstrlen(Keys.article(aid), "text")) if is_id("art", aid) else 0

    @staticmethod
    def _stuck(pipe: Pipeline, aid: str, status: str | None, job: str | None, stuck_after: float | None,
               job_is_live: Callable[[str], bool] | None) -> bool:
        if stuck_after is None or status not in ("queued", "processing"):
            return False
        since = pipe.zscore(Keys.pending, aid)
        if since is not None and since > time.time() * 1000 - stuck_after * 1000:
            return False
        return not (job and job_is_live is not None and job_is_live(job))

    def pending_articles(self, older_than: float, limit: int = 500) -> list[str]:
        """Articles `queued` or `processing` since more than `older_than` seconds, oldest
        first. Entries of articles that have since finished (done, failed, taken down) are
        dropped from the pending index on the way."""
        cutoff = time.time() * 1000 - older_than * 1000
        ids = self.redis.zrangebyscore(Keys.pending, "-inf", cutoff, start=0, num=limit)
        if not ids:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hget(Keys.article(aid), "status")
            statuses = pipe.execute()
        for aid, status in zip(ids, statuses):
            if status not in ("queued", "processing"):
                self._drop_pending(aid, cutoff)
        return [aid for aid, status in zip(ids, statuses) if status in ("queued", "processing")]

    def _drop_pending(self, aid: str, cutoff: float) -> None:
        """Drop a finished article's entry, unless it was queued again meanwhile."""
        key = Keys.article(aid)

        def body(pipe: Pipeline) -> None:
            pipe.watch(key, Keys.pending)
            since = pipe.zscore(Keys.pending, aid)
            if since is None or since > cutoff or pipe.hget(key, "status") in ("queued", "processing"):
                pipe.unwatch()
                return
            pipe.multi()
            pipe.zrem(Keys.pending, aid)
            pipe.execute()

        _transaction(self.redis, body)

    def start_processing(self, aid: str) -> tuple[str, int] | None:
        """Mark an article as being processed; returns its text and revision, or None when
        there is nothing to do (unknown or taken-down article, or already done by an earlier
        run of the job). The job hands the revision back to `save_claims`, which refuses to
        store claims of a text that was corrected meanwhile."""
        key = Keys.article(aid)

        def body(pipe: Pipeline) -> tuple[str, int] | None:
            pipe.watch(key)
            status, text, revision, score = pipe.hmget(key, "status", "text", "revision", "score")
            if status is None or status == "done":
                pipe.unwatch()
                return None
            pipe.multi()
            self._set_status(pipe, aid, score, status, "processing")
            pipe.hincrby(key, "attempts", 1)
            pipe.execute()
            return text or "", int(revision or 1)

        return _transaction(self.redis, body)

    def set_article_status(self, aid: str, status: str, error: str = "") -> None:
        """Record a failure or a pending retry; never touches an article that is done."""
        key = Keys.article(aid)
        emitter = self._emitter() if status == "failed" else None

        def body(pipe: Pipeline) -> None:
            pipe.watch(key)
            old, score = pipe.hmget(key, "status", "score")
            if old in (None, "done"):
                pipe.unwatch()
                return
            pipe.multi()
            mapping = {"error": error}
            if status == "failed":
                mapping["processed_at"] = utcnow()
            self._set_status(pipe, aid, score, old, status)
            pipe.hset(key, mapping=mapping)
            if emitter is not None:
                emitter.emit(pipe, "article.failed", {"article_id": aid, "error": error})
            pipe.execute()

        _transaction(self.redis, body)

    # -- saving an article's claims ---------------------------------------------------------

    def save_claims(self, aid: str, claims: Sequence[Mapping[str, Any]], revision: int | None = None,
                    extractor_version: str | None = None) -> bool:
        """Store an article's extracted claims and mark it done, all or nothing.

        Each claim's speaker is linked to the speaker registry and its text to the speaker's
        earlier claims (the same claim joins their cluster, whose verdict it inherits). Claims
        the article already had (an earlier revision or extraction) are mapped onto the new
        ones (`rules.same_in_article`): one found again keeps its id, verdict, history and
        cluster and takes its new span and confidence; one not found again is superseded
        (kept, out of the default lists); the rest are new.

        Refused (False, nothing written) when the article is already done (an earlier attempt
        of the same job got this far, so a retried job never stores claims twice), was taken
        down, or has moved on from `revision` (the text this job read was corrected meanwhile:
        the newer revision's job stores its own claims).
        """
        key = Keys.article(aid)
        ordered = sorted(claims, key=lambda c: (c["start"], c["end"]))
        count = len(ordered)
        first_seq = self.redis.incrby(Keys.claim_seq, count) - count + 1 if count else 0
        emitter = self._emitter()

        def body(pipe: Pipeline) -> bool:
            pipe.watch(key, Keys.article_claims(aid))
            status, stored_revision, score = pipe.hmget(key, "status", "revision", "score")
            current_revision = int(stored_revision or 1)
            if status in (None, "done") or (revision is not None and revision != current_revision):
                pipe.unwatch()
                return False
            now = utcnow()
            existing = self._watch_claims(pipe, pipe.zrange(Keys.article_claims(aid), 0, -1))
            plans = speakers.plan(
                pipe, self.redis,
                ((c["speaker"]["name"], c["speaker"].get("kind") or "person", c["speaker"].get("title"))
                 for c in ordered))
            planned = [plans[(c["speaker"].get("kind") or "person", normalize_name(c["speaker"]["name"]))]
                       for c in ordered]
            matched, superseded = self._map_claims(
                [{"speaker_id": p.sid, "speaker_kind": p.kind, "speaker_name": c["speaker"]["name"],
                  "stance": c.get("stance") or "asserts", "text": c["text"]} for c, p in zip(ordered, planned)],
                existing)
            rows = []
            for offset, (claim, plan) in enumerate(zip(ordered, planned)):
                if offset in matched:
                    continue
                plan.claims += 1
                seq = first_seq + offset
                rows.append((claim_id(seq), seq, {**claim, "revision": current_revision,
                                                  "extractor_version": extractor_version}, plan))
            revived = [f for f in matched.values() if f.get("superseded_in_revision") is not None]
            clusters, tables = self._plan_clusters(pipe, rows)
            history = pipe.lindex(Keys.revisions(aid), -1)
            pipe.multi()
            speakers.apply(pipe, [p for p in {id(p): p for p in plans.values()}.values() if p.claims or not p.new],
                           now)
            index_entries: dict[str, dict[str, int]] = {}
            for cid, seq, claim, plan in rows:
                self._write_claim(pipe, emitter, aid, cid, seq, claim, plan, clusters[cid], now, index_entries)
            for index, members in index_entries.items():
                pipe.zadd(index, members)
            for (sid, signature), cluster_ids in tables.items():
                pipe.hset(Keys.speaker_clusters(sid), signature, " ".join(cluster_ids))
            if count:
                pipe.zadd(Keys.seq_times, {f"{first_seq}:{first_seq + count - 1}": epoch_ms(now)})
            for offset, fields in matched.items():
                self._keep_claim(pipe, fields, ordered[offset], current_revision, extractor_version)
            for fields in revived:
                pipe.zrem(Keys.superseded, fields["id"])
                pipe.hincrby(Keys.speaker(fields["speaker_id"]), "claim_count", 1)
            for fields in superseded:
                fields.update(superseded_in_revision=current_revision, version=fields["version"] + 1)
                pipe.set(Keys.claim(fields["id"]), records.pack_claim(fields["id"], fields))
                pipe.zadd(Keys.superseded, {fields["id"]: fields["seq"]})
                pipe.hincrby(Keys.speaker(fields["speaker_id"]), "claim_count", -1)
                emitter.emit(pipe, "claim.superseded", {"claim_id": fields["id"], "article_id": aid,
                                                        "revision": current_revision})
            total = len(rows) + len(matched)
            if history:
                entry = json.loads(history)
                entry["claims"] = {"kept": len(matched) - len(revived), "revived": len(revived), "new": len(rows),
                                   "superseded": len(superseded)}
                pipe.lset(Keys.revisions(aid), -1, json.dumps(entry))
            self._set_status(pipe, aid, score, status, "done")
            pipe.hset(key, mapping={"error": "", "claim_count": total, "processed_at": now,
                                    "extractor_version": extractor_version or ""})
            emitter.emit(pipe, "article.done", {"article_id": aid, "claim_count": total,
                                                "revision": current_revision})
            pipe.execute()
            return True

        return _transaction(self.redis, body)

    @staticmethod
    def _keep_claim(pipe: Pipeline, fields: dict[str, Any], found: Mapping[str, Any], revision: int,
                    extractor_version: str | None) -> None:
        """An existing claim found again: where it is now and how sure the extractor is; its
        id, verdict, history, cluster and registry speaker stay."""
        speaker = found["speaker"]
        update = {"start": found["start"], "end": found["end"], "type": found["type"],
                  "cue": found.get("cue") or "", "confidence": round(float(found.get("confidence", 0.0)), 3),
                  "speaker_mention": speaker.get("mention") or "", "speaker_title": speaker.get("title") or None,
                  "text": found["text"], "revision": revision, "superseded_in_revision": None,
                  "extractor_version": extractor_version}
        if any(fields.get(k) != v for k, v in update.items()):
            fields.update(update, version=fields["version"] + 1)
            pipe.set(Keys.claim(fields["id"]), records.pack_claim(fields["id"], fields))

    def _write_claim(self, pipe: Pipeline, emitter: Emitter, aid: str, cid: str, seq: int,
                     claim: Mapping[str, Any], plan: Any, cluster: dict, now: str,
                     index_entries: dict[str, dict[str, int]]) -> None:
        """Queue one claim's writes on `pipe`; its index entries go into `index_entries`, so
        that an article's claims enter each shared index (all claims, the article's, a
        status, a speaker, a word) in one ZADD rather than one per claim."""
        speaker = claim["speaker"]
        verdict = cluster["verdict"] or records.verification({})
        inherited = rules.inherits(verdict["status"])
        stance = claim.get("stance") or "asserts"
        fields = {
            "article_id": aid,
            "text": claim["text"],
            "type": claim["type"],
            "cue": claim.get("cue") or "",
            "start": claim["start"],
            "end": claim["end"],
            "confidence": round(float(claim.get("confidence", 0.0)), 3),
            "speaker_id": plan.sid,
            "speaker_name": speaker["name"],
            "speaker_mention": speaker.get("mention") or "",
            "speaker_title": speaker.get("title") or None,
            "speaker_kind": speaker.get("kind") or "person",
            "cluster_id": cluster["id"],
            "created_at": now,
            "version": 1,
            "stance": stance,
            "revision": claim.get("revision") or 1,
            "extractor_version": claim.get("extractor_version"),
            **(verdict if inherited else {}),
        }
        pipe.set(Keys.claim(cid), records.pack_claim(cid, fields))
        indexes = [Keys.claims, Keys.article_claims(aid), Keys.by_status(fields.get("status", "unverified")),
                   Keys.by_type(claim["type"]), Keys.by_speaker(plan.sid)]
        if stance != "asserts":
            indexes.append(Keys.by_stance(stance))
        if plan.kind not in speakers.NAMED:
            indexes.append(Keys.by_name(speaker["name"]))
        if self.options.search_index:
            indexes += [Keys.by_word(w) for w in words(claim["text"])]
        for index in indexes:
            index_entries.setdefault(index, {})[cid] = seq
        self._write_cluster(pipe, cid, seq, cluster)
        emitter.emit(pipe, "claim.created", {"claim_id": cid, "article_id": aid, "speaker_id": plan.sid,
                                             "cluster_id": cluster["id"], "stance": stance})
        if inherited:
            entry = {"from": "unverified", "to": verdict["status"], "at": now, "by": verdict["updated_by"],
                     "note": verdict["note"], "evidence": verdict["evidence"], "review_url": verdict.get("review_url"),
                     "inherited_from": cluster["id"]}
            pipe.rpush(Keys.history(cid), json.dumps(entry))
            emitter.emit(pipe, "claim.verification_changed",
                         {"claim_id": cid, "from": "unverified", "to": verdict["status"], "by": entry["by"],
                          "inherited_from": cluster["id"]})

    # -- reading claims ---------------------------------------------------------------------

    def get_claim(self, cid: str) -> dict[str, Any] | None:
        """A claim with its article and its context (the sentences that hold it)."""
        if not is_id("clm", cid):
            return None
        found = self._claims([cid], context=True)
        return found[0] if found else None

    def list_claims(
        self,
        *,
        status: str | None = None,
        claim_type: str | None = None,
        stance: str | None = None,
        speaker: str | None = None,
        speaker_id: str | None = None,
        article_id: str | None = None,
        cluster_id: str | None = None,
        query: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        include: frozenset[str] = frozenset(),
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Claims newest first, filtered by every criterion given (AND).

        Claims marked `not_a_claim` are left out unless that status is asked for or
        `include` holds "not_a_claim"; `include` holding "context" adds each claim's context.
        """
        indexes: list[str] = []
        if article_id is not None:
            if not is_id("art", article_id):
                return Page([], None)
            indexes.append(Keys.article_claims(article_id))
        if speaker_id is not None:
            sid = self._current_speaker(speaker_id)
            if sid is None:
                return Page([], None)
            indexes.append(Keys.by_speaker(sid))
        if status is not None:
            indexes.append(Keys.by_status(status))
        if claim_type is not None:
            indexes.append(Keys.by_type(claim_type))
        if stance is not None and stance != "asserts":
            indexes.append(Keys.by_stance(stance))
        if speaker is not None:
            named = self._speaker_named(speaker)
            indexes.append(Keys.by_speaker(named) if named else Keys.by_name(speaker))
        indexes += [Keys.by_word(w) for w in query]
        excluded = self._excluded(status, include, stance)
        low, high = self._seq_range(since, until)
        if low is not None and high is not None and low > high:
            return Page([], None)
        context = "context" in include
        if cluster_id is not None:
            if not is_id("cls", cluster_id):
                return Page([], None)
            if not self.redis.exists(Keys.cluster(cluster_id)):
                return self._singleton_page(cluster_id, indexes, excluded, low, high, cursor, context)
            indexes.append(Keys.cluster_claims(cluster_id))
        indexes = self._smallest_first(indexes) if indexes else [Keys.claims]
        return self._walk(indexes, "desc", cursor, limit, low=low, high=high, excluded=excluded, context=context)

    def _smallest_first(self, indexes: list[str]) -> list[str]:
        """Indexes to intersect, the smallest first: it is walked, the others only probed
        (O(1) each), so a page costs what the most selective filter leaves."""
        if len(indexes) < 2:
            return indexes
        with self.redis.pipeline(transaction=False) as pipe:
            for key in indexes:
                pipe.zcard(key)
            sizes = pipe.execute()
        return [k for _, k in sorted(zip(sizes, indexes))]

    @staticmethod
    def _excluded(status: str | None, include: frozenset[str], stance: str | None = None) -> list[str]:
        """Indexes whose claims a list leaves out: `not_a_claim` and superseded ones by
        default, and the denials and questions when only assertions are asked for."""
        excluded = []
        if status is None and rules.NOT_A_CLAIM not in include:
            excluded.append(Keys.by_status(rules.NOT_A_CLAIM))
        if "superseded" not in include:
            excluded.append(Keys.superseded)
        if stance == "asserts":
            excluded += [Keys.by_stance("denies"), Keys.by_stance("questions")]
        return excluded

    def _speaker_named(self, name: str) -> str | None:
        """The registry speaker (a person, else an organisation) with this name or alias."""
        for kind in speakers.NAMED:
            sid = self.redis.get(speakers.name_key(kind, name))
            if sid:
                return self._current_speaker(sid)
        return None

    def _singleton_page(self, cluster_id: str, indexes: list[str], excluded: list[str], low: int | None,
                        high: int | None, cursor: str | None, context: bool) -> Page:
        """The one page of a one-claim cluster: its claim, if it passes the other filters."""
        if cursor is not None:
            decode_cursor(cursor)
            return Page([], None)
        cid = claim_of_cluster(cluster_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(Keys.claim(cid))
            pipe.zscore(Keys.claims, cid)
            for key in indexes + excluded:
                pipe.zscore(key, cid)
            raw, seq, *scores = pipe.execute()
        own_cluster = records.unpack_claim(cid, raw)["cluster_id"] if raw else None
        required, absent = scores[:len(indexes)], scores[len(indexes):]
        if own_cluster != cluster_id or seq is None or any(score is None for score in required) \
                or any(score is not None for score in absent):
            return Page([], None)
        if (low is not None and seq < low) or (high is not None and seq > high):
            return Page([], None)
        return Page(self._claims([cid], context=context), None)

    def _seq_range(self, since: str | None, until: str | None) -> tuple[int | None, int | None]:
        """Claim seqs created in [since, until], from the per-save seq ranges."""
        low = high = None
        if since is not None:
            first = self.redis.zrangebyscore(Keys.seq_times, epoch_ms(since), "+inf", start=0, num=1)
            low = int(first[0].split(":")[0]) if first else 1 << 62
        if until is not None:
            last = self.redis.zrevrangebyscore(Keys.seq_times, epoch_ms(until), "-inf", start=0, num=1)
            high = int(last[0].split(":")[1]) if last else 0
        return low, high

    def article_claims(self, aid: str, cursor: str | None = None, limit: int = 50,
                       include: frozenset[str] = frozenset()) -> Page:
        """An article's claims in the order they appear in its text (see `list_claims` for
        what `include` adds)."""
        return self._walk([Keys.article_claims(aid)], "asc", cursor, limit, excluded=self._excluded(None, include),
                          context="context" in include)

    def _walk(self, indexes: list[str], direction: str, cursor: str | None, limit: int,
              low: int | None = None, high: int | None = None, excluded: Sequence[str] = (),
              context: bool = False) -> Page:
        bound = "" if cursor is None else decode_cursor(cursor)
        if direction == "desc":
            if high is not None and (bound == "" or int(bound) > high):
                bound = str(high + 1)
            stop = "" if low is None else str(low)
        else:
            stop = ""
        ids, last, exhausted = self._page(keys=[*indexes, *excluded],
                                          args=[direction, bound, limit, SCAN_BUDGET, stop, len(excluded)])
        items = self._claims(ids, context=context)
        next_cursor = None if int(exhausted) or last in (None, "") else encode_cursor(int(float(last)))
        return Page(items=items, next_cursor=next_cursor)

    def _claims(self, ids: Iterable[str], context: bool = False) -> list[dict[str, Any]]:
        """Claims by id, each with its article (read once per article), and with its context
        when asked: that reads the article's text, so list pages only do it on request."""
        ids = list(ids)
        found = self.redis.mget([Keys.claim(cid) for cid in ids]) if ids else []
        claims = [records.unpack_claim(cid, raw) for cid, raw in zip(ids, found) if raw]
        if not claims:
            return []
        aids = list(dict.fromkeys(c["article_id"] for c in claims))
        wanted = records.ARTICLE_REF_FIELDS + (("text",) if context else ())
        with self.redis.pipeline(transaction=False) as pipe:
            for aid in aids:
                pipe.hmget(Keys.article(aid), wanted)
            articles = dict(zip(aids, pipe.execute()))
        out = []
        for fields in claims:
            values = articles[fields["article_id"]]
            text = None
            if context:
                article_text = values[-1] or ""
                if article_text[fields["start"]:fields["end"]] == fields["text"]:
                    first, last = context_span(article_text, fields["start"], fields["end"])
                    text = article_text[first:last]
                else:
                    text = fields["text"]
            out.append(records.claim(fields, records.article_ref(fields["article_id"], values), text))
        return out

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

    # -- speakers ---------------------------------------------------------------------------

    def _current_speaker(self, sid: str) -> str | None:
        """`sid`, or the speaker it was merged into; None when unknown."""
        if not is_id("spk", sid):
            return None
        for _ in range(16):
            merged, exists = self.redis.hmget(Keys.speaker(sid), "merged_into", "id")
            if exists is None:
                return None
            if not merged:
                return sid
            sid = merged
        return sid

    def get_speaker(self, sid: str) -> dict[str, Any] | None:
        """A speaker; asking for a merged one answers with the speaker it was merged into."""
        current = self._current_speaker(sid)
        if current is None:
            return None
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(Keys.speaker(current))
            pipe.smembers(Keys.speaker_aliases(current))
            pipe.smembers(Keys.speaker_titles(current))
            raw, aliases, titles = pipe.execute()
        return records.speaker(raw, aliases, titles)

    def _speakers(self, ids: list[str]) -> list[dict[str, Any]]:
        """Speakers by id, read in one round trip; unknown ids are left out, and a merged
        speaker (rare here: a merge moves its search entries) is followed like `get_speaker`."""
        with self.redis.pipeline(transaction=False) as pipe:
            for sid in ids:
                pipe.hgetall(Keys.speaker(sid))
                pipe.smembers(Keys.speaker_aliases(sid))
                pipe.smembers(Keys.speaker_titles(sid))
            replies = pipe.execute()
        found = []
        for k, sid in enumerate(ids):
            raw, aliases, titles = replies[3 * k:3 * k + 3]
            speaker = self.get_speaker(sid) if raw.get("merged_into") else (
                records.speaker(raw, aliases, titles) if raw.get("id") else None)
            if speaker is not None:
                found.append(speaker)
        return found

    def search_speakers(self, prefix: str, cursor: str | None = None, limit: int = 50) -> Page:
        """Named speakers whose name or alias (or a later word of one) starts with `prefix`,
        case- and accent-insensitively, in alphabetical order."""
        term = normalize_name(prefix) if prefix.strip() else ""
        start = "[" + term
        if cursor is not None:
            start = "(" + decode_cursor(cursor, pattern=r"[^\x00]*\x00spk_[0-9a-f]{16}")
        # Byte 0xFF never occurs in UTF-8, so it bounds every extension of the term; a str
        # "\xff" would be sent as C3 BF and stop at the first letter above U+00FF.
        end: str | bytes = b"[" + term.encode("utf-8") + b"\xff" if term else "+"
        found: dict[str, None] = {}
        last = None
        batch = max(limit * 3, 50)
        while len(found) < limit:
            entries = self.redis.zrangebylex(Keys.speaker_search, start, end, start=0, num=batch)
            for entry in entries:
                last = entry
                found.setdefault(entry.rpartition("\0")[2], None)
                if len(found) >= limit:
                    break
            if len(entries) < batch or len(found) >= limit:
                break
            start = "(" + entries[-1]
        more = last is not None and bool(self.redis.zrangebylex(Keys.speaker_search, "(" + last, end, start=0, num=1))
        unique = list({s["id"]: s for s in self._speakers(list(found))}.values())
        return Page(unique, encode_cursor(last) if more and last else None)

    def speaker_claims(self, sid: str, cursor: str | None = None, limit: int = 50) -> Page | None:
        current = self._current_speaker(sid)
        if current is None:
            return None
        return self._walk([Keys.by_speaker(current)], "desc", cursor, limit, excluded=[Keys.superseded])

    def rename_speaker(self, sid: str, name: str) -> dict[str, Any]:
        """Give a speaker a new name; its claims take it, the old name stays an alias."""
        current = self._current_speaker(sid)
        if current is None:
            raise NotFound(sid)
        key = Keys.speaker(current)

        def body(pipe: Pipeline) -> None:
            pipe.watch(key, Keys.by_speaker(current))
            old, kind = pipe.hmget(key, "name", "kind")
            taken = pipe.get(speakers.name_key(kind, name)) if kind in speakers.NAMED else None
            if taken and self._current_speaker(taken) != current:
                pipe.unwatch()
                raise Conflict(f"another speaker ({taken}) is already called {name!r}; merge them instead")
            claims = self._watch_claims(pipe, pipe.zrange(Keys.by_speaker(current), 0, -1))
            pipe.multi()
            pipe.hset(key, "name", name)
            if old and normalize_name(old) != normalize_name(name):
                pipe.sadd(Keys.speaker_aliases(current), old)
            if kind in speakers.NAMED:
                speakers.index_name(pipe, kind, current, name)
            if kind == "person":
                old_words, new_words = normalize_name(old or "").split(), normalize_name(name).split()
                if old_words and old_words[-1:] != new_words[-1:]:
                    pipe.hdel(Keys.surname(old_words[-1]), current)
                if new_words:
                    pipe.hset(Keys.surname(new_words[-1]), current, name)
            self._move_claims(pipe, claims, current, name, kind)
            pipe.execute()

        _transaction(self.redis, body)
        renamed = self.get_speaker(current)
        assert renamed is not None
        return renamed

    def merge_speakers(self, sid: str, into: str) -> dict[str, Any]:
        """Fold speaker `sid` into `into`: its claims, names and titles move; histories stay.

        The merged speaker's id keeps answering, with the speaker it was merged into.
        """
        source, target = self._current_speaker(sid), self._current_speaker(into)
        if source is None:
            raise NotFound(sid)
        if target is None:
            raise NotFound(into)
        if source == target:
            raise Conflict("a speaker cannot be merged into itself")
        emitter = self._emitter()

        def body(pipe: Pipeline) -> None:
            pipe.watch(Keys.speaker(source), Keys.speaker(target), Keys.by_speaker(source),
                       Keys.speaker_aliases(source), Keys.speaker_titles(source),
                       Keys.speaker_clusters(source), Keys.speaker_clusters(target))
            src = pipe.hgetall(Keys.speaker(source))
            dst = pipe.hgetall(Keys.speaker(target))
            aliases = pipe.smembers(Keys.speaker_aliases(source)) | {src["name"]}
            titles = pipe.smembers(Keys.speaker_titles(source))
            tables = pipe.hgetall(Keys.speaker_clusters(source))
            theirs = dict(zip(tables, pipe.hmget(Keys.speaker_clusters(target), list(tables)))) if tables else {}
            cluster_ids = [c for ids in tables.values() for c in ids.split()]
            shared_clusters = [c for c in cluster_ids if pipe.exists(Keys.cluster(c))]
            seqs = pipe.zrange(Keys.by_speaker(source), 0, -1, withscores=True)
            claims = self._watch_claims(pipe, [cid for cid, _ in seqs])
            new_aliases = [a for a in aliases if normalize_name(a) != normalize_name(dst["name"])]
            pipe.multi()
            if new_aliases:
                pipe.sadd(Keys.speaker_aliases(target), *new_aliases)
            if titles:
                pipe.sadd(Keys.speaker_titles(target), *titles)
            for signature, ids in tables.items():
                pipe.hset(Keys.speaker_clusters(target), signature, f"{theirs.get(signature) or ''} {ids}".strip())
            pipe.hincrby(Keys.speaker(target), "claim_count", int(src.get("claim_count") or 0))
            pipe.hset(Keys.speaker(target), mapping={
                "first_seen": min(filter(None, (src.get("first_seen"), dst.get("first_seen")))),
                "last_seen": max(filter(None, (src.get("last_seen"), dst.get("last_seen")))),
            })
            pipe.hset(Keys.speaker(source), mapping={"merged_into": target, "claim_count": 0})
            if src.get("kind") in speakers.NAMED:
                for alias in aliases:
                    speakers.index_name(pipe, src["kind"], target, alias)
                stale = [f"{term}\0{source}" for alias in aliases for term in speakers.search_terms(alias)]
                if stale:
                    pipe.zrem(Keys.speaker_search, *stale)
                last_words = normalize_name(src["name"]).split()
                if last_words:
                    pipe.hdel(Keys.surname(last_words[-1]), source)
            if seqs:
                pipe.zadd(Keys.by_speaker(target), dict(seqs))
                pipe.delete(Keys.by_speaker(source))
            self._move_claims(pipe, claims, target, dst["name"], dst.get("kind") or "person")
            pipe.delete(Keys.speaker_clusters(source))
            for clsid in shared_clusters:
                pipe.hset(Keys.cluster(clsid), "speaker_id", target)
            emitter.emit(pipe, "speaker.merged", {"speaker_id": source, "merged_into": target,
                                                   "claims_moved": len(claims)})
            pipe.execute()

        _transaction(self.redis, body)
        merged = self.get_speaker(target)
        assert merged is not None
        return merged

    @staticmethod
    def _watch_claims(pipe: Pipeline, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Claims about to be rewritten, read after WATCHing them, so that a verdict set
        meanwhile makes the rewrite start again instead of being overwritten."""
        if not ids:
            return {}
        keys = [Keys.claim(cid) for cid in ids]
        pipe.watch(*keys)
        return {cid: records.unpack_claim(cid, raw) for cid, raw in zip(ids, pipe.mget(keys)) if raw}

    @staticmethod
    def _move_claims(pipe: Pipeline, claims: dict[str, dict[str, Any]], sid: str, name: str, kind: str) -> None:
        """Point claims at speaker `sid`, of `kind`, called `name`. Only unnamed sources are in
        the name index (named speakers are found through the registry), so entries move there."""
        for cid, fields in claims.items():
            old_name, old_kind = fields["speaker_name"], fields["speaker_kind"]
            fields.update(speaker_id=sid, speaker_name=name, speaker_kind=kind)
            pipe.set(Keys.claim(cid), records.pack_claim(cid, fields))
            if old_kind not in speakers.NAMED:
                pipe.zrem(Keys.by_name(old_name), cid)
            if kind not in speakers.NAMED:
                pipe.zadd(Keys.by_name(name), {cid: fields["seq"]})

    # -- events -----------------------------------------------------------------------------

    def events(self, after: str | None = None, limit: int = 100) -> Page:
        """Events oldest first, after the cursor's event; the cursor to continue from is
        returned even when nothing new has happened yet (keep polling with it)."""
        start, position = "-", None
        if after is not None:
            position = decode_cursor(after, pattern=r"\d{1,20}-\d{1,20}")
            info = self.redis.xinfo_stream(Keys.events) if self.redis.exists(Keys.events) else {}
            first = info.get("first-entry")
            oldest_kept = first[0] if first else info.get("last-generated-id")
            if _before(position, oldest_kept):
                raise CursorExpired(position)
            start = "(" + position
        entries = self.redis.xrange(Keys.events, start, "+", count=limit)
        items = [records.event(fields) for _, fields in entries]
        last = entries[-1][0] if entries else position
        return Page(items, encode_cursor(last) if last else None)

    # -- webhooks ---------------------------------------------------------------------------

    def add_webhook(self, url: str, event_types: Sequence[str], secret: str) -> dict[str, Any]:
        wid = new_id("whk")
        record = {"id": wid, "url": url, "events": json.dumps(sorted(set(event_types))), "secret": secret,
                  "created_at": utcnow()}
        with self.redis.pipeline() as pipe:
            pipe.hset(Keys.webhook(wid), mapping=record)
            pipe.sadd(Keys.webhooks, wid)
            pipe.execute()
        self._hooks_cache = (0.0, [])
        return records.webhook(record)

    def list_webhooks(self) -> list[dict[str, Any]]:
        with self.redis.pipeline(transaction=False) as pipe:
            for wid in self.redis.smembers(Keys.webhooks):
                pipe.hgetall(Keys.webhook(wid))
            found = [records.webhook(raw) for raw in pipe.execute() if raw]
        return sorted(found, key=lambda w: w["created_at"])

    def webhook_target(self, wid: str) -> tuple[str, list[str]] | None:
        """(url, secrets to sign with) of a webhook, for its delivery job; None once it is
        deleted. The secrets are the current one and, for a while after a rotation, the one
        before it."""
        if not is_id("whk", wid):
            return None
        url, secret, previous, until = self.redis.hmget(
            Keys.webhook(wid), "url", "secret", "previous_secret", "previous_until")
        if not url:
            return None
        honoured = [secret] + ([previous] if previous and until and float(until) > time.time() else [])
        return url, honoured

    def rotate_webhook_secret(self, wid: str, secret: str, grace: int) -> dict[str, Any] | None:
        """Give a webhook a new secret; the old one still signs (beside it) for `grace` seconds."""
        if not is_id("whk", wid):
            return None
        key = Keys.webhook(wid)

        def body(pipe: Pipeline) -> dict[str, Any] | None:
            pipe.watch(key)
            record = pipe.hgetall(key)
            if not record:
                return None
            until = time.time() + grace
            pipe.multi()
            pipe.hset(key, mapping={"secret": secret, "previous_secret": record["secret"],
                                    "previous_until": f"{until:.3f}"})
            pipe.execute()
            return {**records.webhook(record), "previous_secret_expires_at": format_time(
                datetime.fromtimestamp(until, timezone.utc))}

        return _transaction(self.redis, body)

    def delete_webhook(self, wid: str) -> bool:
        if not is_id("whk", wid):
            return False
        with self.redis.pipeline() as pipe:
            pipe.srem(Keys.webhooks, wid)
            pipe.delete(Keys.webhook(wid), Keys.deliveries(wid))
            removed, _ = pipe.execute()
        self._hooks_cache = (0.0, [])
        return bool(removed)

    def record_delivery(self, wid: str, attempt: Mapping[str, Any]) -> None:
        if not self.redis.exists(Keys.webhook(wid)):
            return
        with self.redis.pipeline() as pipe:
            pipe.lpush(Keys.deliveries(wid), json.dumps(dict(attempt)))
            pipe.ltrim(Keys.deliveries(wid), 0, MAX_DELIVERY_LOG - 1)
            pipe.execute()

    def deliveries(self, wid: str, limit: int = MAX_DELIVERY_LOG) -> list[dict[str, Any]] | None:
        """Delivery attempts, newest first; None for an unknown webhook."""
        if not is_id("whk", wid) or not self.redis.exists(Keys.webhook(wid)):
            return None
        return [json.loads(e) for e in self.redis.lrange(Keys.deliveries(wid), 0, limit - 1)]

    # -- managed API keys -------------------------------------------------------------------

    def add_api_key(self, name: str, roles: Sequence[str], secret_digest: str) -> dict[str, Any]:
        key_id = new_id("key")  # random: an id must say nothing about its secret
        record = {"id": key_id, "name": name, "roles": "+".join(roles), "created_at": utcnow()}
        with self.redis.pipeline() as pipe:
            pipe.hset(Keys.api_key(secret_digest), mapping=record)
            pipe.hset(Keys.api_keys, key_id, secret_digest)
            pipe.execute()
        return records.api_key(record)

    def find_api_key(self, secret_digest: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(Keys.api_key(secret_digest))
        return records.api_key(raw) if raw else None

    def list_api_keys(self) -> list[dict[str, Any]]:
        digests = self.redis.hvals(Keys.api_keys)
        with self.redis.pipeline(transaction=False) as pipe:
            for d in digests:
                pipe.hgetall(Keys.api_key(d))
            return sorted((records.api_key(raw) for raw in pipe.execute() if raw), key=lambda k: k["created_at"])

    def delete_api_key(self, key_id: str) -> bool:
        secret_digest = self.redis.hget(Keys.api_keys, key_id)
        if secret_digest is None:
            return False
        with self.redis.pipeline() as pipe:
            pipe.delete(Keys.api_key(secret_digest))
            pipe.hdel(Keys.api_keys, key_id)
            pipe.execute()
        return True


def _before(position: str, other: str | None) -> bool:
    """Whether stream id `position` comes strictly before stream id `other`. A cursor before
    the oldest event kept is past the retention: the events after it may have been trimmed,
    and the feed cannot tell, so it says so rather than skip them silently."""
    if not other:
        return False
    a = tuple(int(p) for p in position.split("-"))
    b = tuple(int(p) for p in str(other).split("-"))
    return a < b
