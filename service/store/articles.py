"""The article lifecycle in Redis: reading, listing, corrections (revisions), re-extraction and takedown.

A mixin of `Store`. An article's text changes only through `revise_article`, which keeps the
replaced text for `Options.revision_retention` and queues extraction again; the claims found
then are mapped onto the article's earlier claims by `save_claims` (`rules.same_in_article`),
so a verdict stays with the words it was given to. `delete_article` removes everything an
article brought, claims and their histories included, in one transaction, and leaves only a
tombstone saying who took it down and when.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from redis.client import Pipeline

from . import records, rules, speakers
from .base import SCAN_BUDGET, Conflict, NotFound, Page, transaction
from .layout import (
    ARTICLE_STATUSES,
    Keys,
    cluster_of_claim,
    decode_cursor,
    digest,
    encode_cursor,
    epoch_ms,
    is_id,
    utcnow,
)
from .text import claim_signature, normalize_claim, words

if TYPE_CHECKING:
    from .store import Store

#: Article fields a client sets (the text aside).
METADATA = ("title", "url", "source", "published_at", "external_id")
#: An article's listing score: creation time in ms times this, plus a counter modulo it, so
#: that two articles created in the same millisecond still have distinct scores (a cursor
#: is a score) and the order is still creation order.
SCORE_SCALE = 1000


class Gone(LookupError):
    """The article (or the claim's article) was taken down; carries the tombstone."""

    def __init__(self, tombstone: Mapping[str, Any]) -> None:
        super().__init__(tombstone["id"])
        self.tombstone = dict(tombstone)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def revision_entry(revision: int, at: str, by: str | None, text: str) -> str:
    return json.dumps({"revision": revision, "at": at, "by": by, "text_sha256": text_digest(text),
                       "chars": len(text), "claims": None})


class ArticleStore:
    """Reading, listing, revisions, re-extraction and takedown (mixed into `Store`)."""

    # -- reading ------------------------------------------------------------------------------

    def get_article(self: "Store", aid: str) -> dict[str, Any] | None:
        if not is_id("art", aid):
            return None
        raw = self.redis.hgetall(Keys.article(aid))
        return records.article(raw) if raw and not raw.get("deleted_at") else None

    def has_article(self: "Store", aid: str) -> bool:
        """Whether the article exists (and was not taken down), without reading its text."""
        return is_id("art", aid) and self.redis.hget(Keys.article(aid), "status") is not None

    def article_counts(self: "Store") -> dict[str, int]:
        """How many articles are in each status: the sizes of the status indexes, one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for status in ARTICLE_STATUSES:
                pipe.zcard(Keys.articles_by_status(status))
            return dict(zip(ARTICLE_STATUSES, pipe.execute()))

    # -- indexes ------------------------------------------------------------------------------

    def _listing_score(self: "Store", created_at: str) -> int:
        return epoch_ms(created_at) * SCORE_SCALE + self.redis.incr(Keys.article_seq) % SCORE_SCALE

    @staticmethod
    def _index_article(pipe: Pipeline, aid: str, score: float, old: Mapping[str, Any],
                       new: Mapping[str, Any]) -> None:
        """Move an article between the listing indexes as its status, source or url change
        (`old` is {} for a new article, `new` is {} for one taken down)."""
        pairs = (("status", Keys.articles_by_status), ("source", Keys.articles_by_source),
                 ("url", Keys.articles_by_url))
        for field, index in pairs:
            before, after = old.get(field) or "", new.get(field) or ""
            if before == after and old:
                continue
            if before:
                pipe.zrem(index(before), aid)
            if after:
                pipe.zadd(index(after), {aid: score})
        if not new:
            pipe.zrem(Keys.articles, aid)
        elif not old:
            pipe.zadd(Keys.articles, {aid: score})

    def _set_status(self: "Store", pipe: Pipeline, aid: str, score: str | None, old: str | None, new: str) -> None:
        """Write an article's status change and move it between the status indexes; keep
        the pending index (reconciliation) of articles `queued` or `processing`, and since when."""
        pipe.hset(Keys.article(aid), "status", new)
        if new in ("queued", "processing"):
            pipe.zadd(Keys.pending, {aid: int(time.time() * 1000)})
        else:
            pipe.zrem(Keys.pending, aid)
        if score and old != new:
            if old:
                pipe.zrem(Keys.articles_by_status(old), aid)
            pipe.zadd(Keys.articles_by_status(new), {aid: float(score)})

    # -- listing ------------------------------------------------------------------------------

    def list_articles(self: "Store", *, status: str | None = None, source: str | None = None,
                      external_id: str | None = None, url: str | None = None, since: str | None = None,
                      until: str | None = None, cursor: str | None = None, limit: int = 50) -> Page:
        """Articles newest first (without their text), filtered by every criterion given."""
        indexes = []
        if status is not None:
            indexes.append(Keys.articles_by_status(status))
        if source is not None:
            indexes.append(Keys.articles_by_source(source))
        if url is not None:
            indexes.append(Keys.articles_by_url(url))
        if not indexes:
            indexes.append(Keys.articles)
        low = epoch_ms(since) * SCORE_SCALE if since is not None else None
        high = epoch_ms(until) * SCORE_SCALE + SCORE_SCALE - 1 if until is not None else None
        if external_id is not None:
            aid = self.redis.get(Keys.dedup("ext", digest(external_id)))
            if cursor is not None:
                decode_cursor(cursor)
            if not aid or cursor is not None:
                return Page([], None)
            with self.redis.pipeline(transaction=False) as pipe:
                for index in indexes:
                    pipe.zscore(index, aid)
                scores = pipe.execute()
            if any(s is None for s in scores) or (low is not None and scores[0] < low) \
                    or (high is not None and scores[0] > high):
                return Page([], None)
            return Page(self._article_summaries([aid]), None)
        indexes = self._smallest_first(indexes)
        bound = "" if cursor is None else decode_cursor(cursor)
        if high is not None and (bound == "" or int(bound) > high):
            bound = str(high + 1)
        stop = "" if low is None else str(low)
        ids, last, exhausted = self._page(keys=indexes, args=["desc", bound, limit, SCAN_BUDGET, stop, 0])
        next_cursor = None if int(exhausted) or last in (None, "") else encode_cursor(int(float(last)))
        return Page(self._article_summaries(ids), next_cursor)

    def _article_summaries(self: "Store", ids: Sequence[str]) -> list[dict[str, Any]]:
        """Article records without their text (a page of 200 articles could be 40 M chars)."""
        fields = ("id", *METADATA, "status", "error", "claim_count", "created_at", "processed_at", "revision",
                  "updated_at", "extractor_version")
        with self.redis.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hmget(Keys.article(aid), fields)
            rows = pipe.execute()
        out = []
        for values in rows:
            raw = {k: v for k, v in zip(fields, values) if v is not None}
            if raw.get("id") and raw.get("status"):
                record = records.article(raw)
                record.pop("text")
                out.append(record)
        return out

    # -- tombstones ---------------------------------------------------------------------------

    def article_tombstone(self: "Store", aid: str) -> dict[str, Any] | None:
        if not is_id("art", aid):
            return None
        raw = self.redis.hgetall(Keys.article(aid))
        return records.tombstone(raw) if raw.get("deleted_at") else None

    def claim_tombstone(self: "Store", cid: str) -> dict[str, Any] | None:
        """The tombstone of the taken-down article a claim belonged to, if it was taken down."""
        if not is_id("clm", cid):
            return None
        aid = self.redis.hget(Keys.deleted_claims, cid)
        return self.article_tombstone(aid) if aid else None

    @staticmethod
    def _watch_live_article(pipe: Pipeline, aid: str, *also: str) -> dict[str, str]:
        """An article's fields, read under WATCH (with `also`); NotFound when there is no such
        article, Gone when it was taken down."""
        pipe.watch(Keys.article(aid), *also)
        raw = pipe.hgetall(Keys.article(aid))
        if not raw:
            pipe.unwatch()
            raise NotFound(aid)
        if raw.get("deleted_at"):
            pipe.unwatch()
            raise Gone(records.tombstone(raw))
        return raw

    # -- revisions ----------------------------------------------------------------------------

    def revise_article(self: "Store", aid: str, fields: Mapping[str, Any], by: str,
                       enqueue: Callable[[Pipeline, str], Any],
                       dedup: Sequence[Any] = ()) -> tuple[dict[str, Any], bool]:
        """Replace an article's text and metadata. Returns ``(article, queued)``.

        A new text makes a new revision: the replaced text is kept (it is what superseded
        claims were part of), the article is queued for extraction again, and an
        `article.revised` event is written, all in one transaction. New metadata with the same
        text is updated in place. The same text and metadata change nothing. Raises NotFound,
        Gone for a taken-down article, or Conflict when the new `external_id` (or url and
        text) already names another article.
        """
        key = Keys.article(aid)
        emitter = self._emitter()
        new_meta = {k: "" if fields.get(k) is None else str(fields[k]) for k in METADATA}
        text = fields["text"]

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool]:
            raw = self._watch_live_article(pipe, aid)
            same_text = raw.get("text", "") == text
            changed = {k: v for k, v in new_meta.items() if (raw.get(k) or "") != v}
            if same_text and not changed:
                pipe.unwatch()
                return records.article(raw), False
            now = utcnow()
            revision = int(raw.get("revision") or 1)
            score = raw.get("score") or "0"
            old_keys = set(filter(None, (raw.get("dedup") or "").split(" ")))
            new_keys = {Keys.dedup(d.kind, d.fingerprint) for d in dedup}
            if new_keys:
                pipe.watch(*new_keys)
                for owner in pipe.mget(sorted(new_keys)):
                    if owner and owner != aid and self.get_article(owner) is not None:
                        pipe.unwatch()
                        raise Conflict(f"another article ({owner}) has this external_id or url and text")
            if raw.get("external_id") and raw.get("external_id") != new_meta["external_id"]:
                stale = Keys.dedup("ext", digest(raw["external_id"]))
                old_keys.discard(stale)
            else:
                stale = None
            pipe.multi()
            update = {**new_meta, "updated_at": now, "dedup": " ".join(sorted(old_keys | new_keys))}
            for d in dedup:
                pipe.set(Keys.dedup(d.kind, d.fingerprint), aid, ex=d.ttl)
            if stale is not None:
                pipe.delete(stale)
            self._index_article(pipe, aid, float(score), raw, {**raw, **new_meta})
            if not same_text:
                pipe.set(Keys.revision_text(aid, revision), raw.get("text", ""), ex=self.options.revision_retention)
                update.update(text=text, revision=revision + 1, error="", processed_at="")
                self._set_status(pipe, aid, score, raw.get("status"), "queued")
                pipe.rpush(Keys.revisions(aid), revision_entry(revision + 1, now, by, text))
                enqueue(pipe, aid)
                emitter.emit(pipe, "article.revised", {"article_id": aid, "revision": revision + 1, "by": by})
                emitter.emit(pipe, "article.queued", {"article_id": aid, "revision": revision + 1})
            pipe.hset(key, mapping=update)
            pipe.execute()
            return records.article({**raw, **update, "status": "queued" if not same_text else raw["status"]}), \
                not same_text

        return transaction(self.redis, body)

    def revisions(self: "Store", aid: str) -> list[dict[str, Any]] | None:
        """An article's revisions, oldest first, with whether each earlier text is still kept."""
        if not is_id("art", aid):
            return None
        raw = self.redis.hmget(Keys.article(aid), "id", "deleted_at", "revision")
        if raw[0] is None:
            return None
        if raw[1]:
            raise Gone(self.article_tombstone(aid) or {"id": aid, "deleted_at": raw[1]})
        entries = [json.loads(e) for e in self.redis.lrange(Keys.revisions(aid), 0, -1)]
        current = int(raw[2] or 1)
        with self.redis.pipeline(transaction=False) as pipe:
            for e in entries:
                pipe.exists(Keys.revision_text(aid, e["revision"]))
            kept = pipe.execute()
        for e, exists in zip(entries, kept):
            e["text_kept"] = e["revision"] == current or bool(exists)
        return entries

    def revision_text(self: "Store", aid: str, revision: int) -> str | None:
        """The text of one revision of an article: the current one, or a kept earlier one."""
        current, text = self.redis.hmget(Keys.article(aid), "revision", "text")
        if text is not None and int(current or 1) == revision:
            return text
        return self.redis.get(Keys.revision_text(aid, revision))

    def request_reextraction(self: "Store", aid: str, enqueue: Callable[[Pipeline, str], Any],
                             by: str | None = None) -> tuple[dict[str, Any], bool] | None:
        """Queue extraction of an article's current text again (`done` or `failed` only).
        Returns ``(article, queued)``; None for an unknown article; Gone if taken down."""
        if not is_id("art", aid):
            return None
        key = Keys.article(aid)
        emitter = self._emitter()

        def body(pipe: Pipeline) -> tuple[dict[str, Any], bool] | None:
            try:
                raw = self._watch_live_article(pipe, aid)
            except NotFound:
                return None
            if raw.get("status") not in ("done", "failed"):
                pipe.unwatch()
                return records.article(raw), False
            pipe.multi()
            self._set_status(pipe, aid, raw.get("score"), raw.get("status"), "queued")
            pipe.hset(key, mapping={"error": "", "processed_at": ""})
            enqueue(pipe, aid)
            emitter.emit(pipe, "article.queued", {"article_id": aid, "reextract": True,
                                                  **({"by": by} if by else {})})
            pipe.execute()
            return records.article({**raw, "status": "queued", "error": "", "processed_at": ""}), True

        return transaction(self.redis, body)

    def articles_from(self: "Store", after: float | None, limit: int) -> list[tuple[str, float, str | None]]:
        """(id, listing score, extractor version) of articles oldest first, after a score:
        the walk a bulk re-extraction makes, resumable from the last score it saw."""
        low = "-inf" if after is None else f"({after}"
        rows = self.redis.zrangebyscore(Keys.articles, low, "+inf", start=0, num=limit, withscores=True)
        with self.redis.pipeline(transaction=False) as pipe:
            for aid, _ in rows:
                pipe.hget(Keys.article(aid), "extractor_version")
            versions = pipe.execute() if rows else []
        return [(aid, score, version) for (aid, score), version in zip(rows, versions)]

    def reextraction_cursor(self: "Store", name: str) -> float | None:
        """Where a bulk re-extraction named `name` stopped (a listing score), to resume it."""
        value = self.redis.get(Keys.reextract_cursor(name))
        return float(value) if value is not None else None

    def save_reextraction_cursor(self: "Store", name: str, score: float | None) -> None:
        if score is None:
            self.redis.delete(Keys.reextract_cursor(name))
        else:
            self.redis.set(Keys.reextract_cursor(name), score)

    # -- takedown -----------------------------------------------------------------------------

    def delete_article(self: "Store", aid: str, by: str) -> dict[str, Any]:
        """Take an article down: its text, every revision, its claims and their histories,
        from every key and index, in one transaction; leaves a tombstone. Raises NotFound, or
        Gone when it was already taken down."""
        if not is_id("art", aid):
            raise NotFound(aid)
        key = Keys.article(aid)
        emitter = self._emitter()

        def body(pipe: Pipeline) -> dict[str, Any]:
            raw = self._watch_live_article(pipe, aid, Keys.article_claims(aid))
            ids = pipe.zrange(Keys.article_claims(aid), 0, -1)
            claims = self._watch_claims(pipe, ids)
            doomed = set(claims)
            clusters = sorted({c["cluster_id"] for c in claims.values()})
            if clusters:
                pipe.watch(*(Keys.cluster(c) for c in clusters), *(Keys.cluster_claims(c) for c in clusters))
            members = {}
            firsts = {}
            for c in clusters:
                members[c] = pipe.zrange(Keys.cluster_claims(c), 0, -1)
                firsts[c] = pipe.hget(Keys.cluster(c), "first_claim")
            remaining = {c: [m for m in members[c] if m not in doomed] for c in clusters}
            tables: dict[str, dict[str, str | None]] = {}
            for fields in claims.values():
                sid, cluster = fields["speaker_id"], fields["cluster_id"]
                if remaining[cluster]:
                    continue
                signature = claim_signature(fields.get("stance") or "asserts", normalize_claim(fields["text"]))
                table = tables.setdefault(sid, {})
                if signature not in table:
                    pipe.watch(Keys.speaker_clusters(sid))
                    table[signature] = pipe.hget(Keys.speaker_clusters(sid), signature)
                entry = table[signature]
                if entry:
                    table[signature] = " ".join(x for x in entry.split() if x != cluster) or None
            speaker_ids = sorted({c["speaker_id"] for c in claims.values()})
            if speaker_ids:
                pipe.watch(*(Keys.speaker(s) for s in speaker_ids))
            kinds = {s: pipe.hmget(Keys.speaker(s), "kind", "claim_count", "name") for s in speaker_ids}
            removed = {cid: c for cid, c in claims.items() if c.get("superseded_in_revision") is None}
            lost: dict[str, tuple[str, list[str], list[str]]] = {}
            for sid in speaker_ids:
                kind, count, name = kinds[sid]
                if int(count or 0) - sum(1 for c in removed.values() if c["speaker_id"] == sid) > 0:
                    continue
                # The speaker is known only from this article: nothing of it may stay.
                pipe.watch(Keys.speaker_aliases(sid), Keys.by_speaker(sid))
                others = [m for m in pipe.zrange(Keys.by_speaker(sid), 0, -1) if m not in doomed]
                if others:
                    continue
                names = sorted(pipe.smembers(Keys.speaker_aliases(sid)) | ({name} if name else set()))
                keys = [speakers.name_key(kind or "person", n) for n in names]
                owned = [k for k, v in zip(keys, pipe.mget(keys) if keys else []) if v == sid]
                lost[sid] = (kind or "person", names, owned)
            logs = {c: pipe.llen(Keys.cluster_log(c)) for c in clusters}
            revision = int(raw.get("revision") or 1)
            now = utcnow()
            counts: dict[str, int] = {}
            pipe.multi()
            for cid, fields in claims.items():
                pipe.delete(Keys.claim(cid), Keys.history(cid))
                indexes = [Keys.claims, Keys.by_status(fields["status"]), Keys.by_type(fields["type"]),
                           Keys.by_speaker(fields["speaker_id"]), Keys.by_name(fields["speaker_name"]),
                           Keys.by_stance(fields.get("stance") or "asserts"), Keys.superseded,
                           Keys.cluster_claims(fields["cluster_id"])]
                indexes += [Keys.by_word(w) for w in words(fields["text"])]
                for index in indexes:
                    pipe.zrem(index, cid)
                if fields.get("superseded_in_revision") is None:
                    counts[fields["speaker_id"]] = counts.get(fields["speaker_id"], 0) + 1
                pipe.hset(Keys.deleted_claims, cid, aid)
            for c in clusters:
                alone = len(remaining[c]) == 1 and cluster_of_claim(remaining[c][0]) == c and not logs[c]
                if not remaining[c] or alone:
                    # Gone, or back to the one claim it started from, which needs no keys.
                    pipe.delete(Keys.cluster(c), Keys.cluster_claims(c), Keys.cluster_log(c))
                elif firsts[c] in doomed:
                    pipe.hset(Keys.cluster(c), "first_claim", remaining[c][0])
            for sid, table in tables.items():
                for signature, entry in table.items():
                    if entry:
                        pipe.hset(Keys.speaker_clusters(sid), signature, entry)
                    else:
                        pipe.hdel(Keys.speaker_clusters(sid), signature)
            for sid in speaker_ids:
                if sid in lost:
                    kind, names, owned = lost[sid]
                    speakers.forget(pipe, sid, kind, names, owned)
                elif counts.get(sid):
                    pipe.hincrby(Keys.speaker(sid), "claim_count", -counts[sid])
            self._index_article(pipe, aid, float(raw.get("score") or 0), raw, {})
            # Out of reconciliation's index too, whatever its state: a job under way finds
            # only the tombstone and puts nothing back.
            pipe.zrem(Keys.pending, aid)
            dedup = set(filter(None, (raw.get("dedup") or "").split(" ")))
            if dedup:
                pipe.delete(*dedup)
            pipe.delete(Keys.article_claims(aid), Keys.revisions(aid),
                        *(Keys.revision_text(aid, r) for r in range(1, revision)))
            pipe.delete(key)
            tombstone = {"id": aid, "deleted_at": now, "deleted_by": by, "claim_count": len(claims)}
            pipe.hset(key, mapping=tombstone)
            emitter.emit(pipe, "article.deleted", {"article_id": aid, "by": by, "claims_deleted": len(claims)})
            pipe.execute()
            return records.tombstone(tombstone)

        return transaction(self.redis, body)

    # -- mapping re-extracted claims ----------------------------------------------------------

    @staticmethod
    def _map_claims(new: Sequence[Mapping[str, Any]], existing: Mapping[str, dict[str, Any]]
                    ) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
        """Which new claims (by position, with their planned speaker) are existing claims of
        the article found again, and which current claims are not found again (superseded).

        A claim superseded earlier and found again comes back (same id, verdict, history).
        """
        current = [f for f in existing.values() if f.get("superseded_in_revision") is None]
        earlier = [f for f in existing.values() if f.get("superseded_in_revision") is not None]
        current.sort(key=lambda f: f["seq"])
        earlier.sort(key=lambda f: f["seq"])
        matched: dict[int, dict[str, Any]] = {}
        used: set[str] = set()
        for pool in (current, earlier):
            for i, claim in enumerate(new):
                if i in matched:
                    continue
                found = next((f for f in pool if f["id"] not in used and rules.same_in_article(claim, f)), None)
                if found is not None:
                    matched[i] = found
                    used.add(found["id"])
        superseded = [f for f in current if f["id"] not in used]
        return matched, superseded
