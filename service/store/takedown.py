"""Taking an article down: its text, every revision, its claims and their histories, from
every key and index, in one transaction, leaving only a tombstone saying who took it down and
when. A speaker known only from the article goes with it; a cluster left with one claim goes
back to needing no keys.

A function of its own (called by `ArticleRepository.delete`) because it reaches into every
kind of record an article brought, through the key table only.
"""
from __future__ import annotations

from typing import Any

from redis.client import Pipeline

from . import assignments, records, speakers
from .article_index import index_article, watch_live_article
from .base import NotFound
from .connection import Connection
from .events import Emitter
from .layout import Keys, bucket_entry
from .values import cluster_of_claim, is_id, utcnow
from .reads import remove_claim, status_indexes, watch_claims
from .text import claim_signature, normalize_claim, words


def take_down(conn: Connection, emitter: Emitter, aid: str, by: str) -> dict[str, Any]:
    """Take an article down: its text, every revision, its claims and their histories,
    from every key and index, in one transaction; leaves a tombstone. Raises NotFound, or
    Gone when it was already taken down."""
    if not is_id("art", aid):
        raise NotFound(aid)
    key = Keys.article(aid)

    def body(pipe: Pipeline) -> dict[str, Any]:
        raw = watch_live_article(pipe, aid, Keys.article_claims(aid))
        ids = pipe.zrange(Keys.article_claims(aid), 0, -1)
        claims = watch_claims(pipe, ids)
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
                pipe.watch(Keys.signature(sid, signature))
                table[signature] = pipe.get(Keys.signature(sid, signature))
            entry = table[signature]
            if entry:
                table[signature] = " ".join(x for x in entry.split() if x != cluster) or None
        speaker_ids = sorted({c["speaker_id"] for c in claims.values()})
        if speaker_ids:
            pipe.watch(*(Keys.speaker(s) for s in speaker_ids), *(Keys.by_speaker(s) for s in speaker_ids))
        kinds = {s: pipe.hmget(Keys.speaker(s), "kind", "name") for s in speaker_ids}
        lost: dict[str, tuple[str, list[str], list[str]]] = {}
        for sid in speaker_ids:
            kind, name = kinds[sid]
            if pipe.zcard(Keys.by_speaker(sid)) > sum(1 for c in claims.values() if c["speaker_id"] == sid):
                continue  # it has claims in other articles
            # The speaker is known only from this article: nothing of it may stay.
            pipe.watch(Keys.speaker_aliases(sid))
            names = sorted(pipe.smembers(Keys.speaker_aliases(sid)) | ({name} if name else set()))
            keys = [speakers.name_key(kind or "person", n) for n in names]
            owned = [k for k, v in zip(keys, pipe.mget(keys) if keys else []) if v == sid]
            lost[sid] = (kind or "person", names, owned)
        logs = {c: pipe.llen(Keys.cluster_log(c)) for c in clusters}
        revision = int(raw.get("revision") or 1)
        now = utcnow()
        pipe.multi()
        for cid, fields in claims.items():
            pipe.delete(Keys.claim(cid), Keys.history(cid))
            indexes = [Keys.claims, Keys.by_type(fields["type"]), Keys.by_speaker(fields["speaker_id"]),
                       Keys.by_name(fields["speaker_name"]), Keys.superseded, Keys.cluster_claims(fields["cluster_id"])]
            # The status and stance indexes it is in, which its record names (on a cluster each
            # shard is a slot of its own, that the takedown would otherwise write to for nothing).
            indexes += status_indexes(fields["status"])
            if (fields.get("stance") or "asserts") != "asserts":
                indexes.append(Keys.by_stance(fields["stance"]))
            for index in indexes:
                remove_claim(pipe, index, cid)
            for w in words(fields["text"]):
                pipe.srem(*bucket_entry(Keys.by_word(w), fields["seq"]))
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
                    pipe.set(Keys.signature(sid, signature), entry)
                else:
                    pipe.delete(Keys.signature(sid, signature))
        for sid in speaker_ids:
            if sid in lost:
                kind, names, owned = lost[sid]
                speakers.forget(pipe, sid, kind, names, owned)
        index_article(pipe, aid, float(raw.get("score") or 0), raw, {})
        # Out of reconciliation's index too, whatever its state: a job under way finds
        # only the tombstone and puts nothing back.
        pipe.zrem(Keys.pending, aid)
        dedup = set(filter(None, (raw.get("dedup") or "").split(" ")))
        if dedup:
            pipe.delete(*dedup)
        assignments.forget(pipe, claims)
        pipe.zrem(Keys.reviewed, aid)
        pipe.zrem(Keys.corrected_articles, aid)
        pipe.delete(Keys.article_claims(aid), Keys.revisions(aid), Keys.corrections(aid), Keys.article_history(aid),
                    *(Keys.revision_text(aid, r) for r in range(1, revision)))
        pipe.zrem(Keys.search_pending, aid)
        pipe.delete(key)
        tombstone = {"id": aid, "deleted_at": now, "deleted_by": by, "claim_count": len(claims)}
        pipe.hset(key, mapping=tombstone)
        emitter.emit(pipe, "article.deleted", {"article_id": aid, "by": by, "claims_deleted": len(claims)})
        pipe.execute()
        return records.tombstone(tombstone)

    return conn.transaction(body)
