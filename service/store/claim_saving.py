"""Storing an article's extracted claims: linked to registry speakers and to clusters, and
mapped onto the claims an earlier revision of the article had, with the article marked done.

Plain functions, called by `ClaimRepository.save`. All or nothing and at most once per revision, in one transaction: a job
can be retried after getting half way, or run for a text corrected meanwhile, and must then
neither store claims twice nor write over a newer revision's. An article's claims enter each
shared index in one ZADD rather than one per claim, which keeps a long article's save short.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.client import Pipeline

from . import article_index, clusters, correction_rules, records, rules, speakers
from .connection import Connection
from .events import Emitter, EventBatch
from .layout import UNINDEXED_STATUS, Keys
from .values import claim_id, epoch_ms, normalize_name, utcnow
from .reads import add_claims, remove_claims, status_indexes, watch_claims


def save_claims(conn: Connection, emitter: Emitter, aid: str, claims: Sequence[Mapping[str, Any]],
                revision: int | None = None, extractor_version: str | None = None) -> bool:
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
    redis = conn.redis
    first_seq = redis.incrby(Keys.claim_seq, count) - count + 1 if count else 0

    def body(pipe: Pipeline) -> bool:
        pipe.watch(key, Keys.article_claims(aid))
        status, stored_revision, score = pipe.hmget(key, "status", "revision", "score")
        current_revision = int(stored_revision or 1)
        if status in (None, "done") or (revision is not None and revision != current_revision):
            pipe.unwatch()
            return False
        now = utcnow()
        existing = watch_claims(pipe, pipe.zrange(Keys.article_claims(aid), 0, -1))
        pipe.watch(Keys.corrections(aid))
        corrections = {cid: json.loads(v) for cid, v in pipe.hgetall(Keys.corrections(aid)).items()}
        text = (pipe.hget(key, "text") or "") if corrections else ""
        plans = speakers.plan(
            pipe, redis,
            ((c["speaker"]["name"], c["speaker"].get("kind") or "person", c["speaker"].get("title"))
             for c in ordered))
        planned = [plans[(c["speaker"].get("kind") or "person", normalize_name(c["speaker"]["name"]))]
                   for c in ordered]
        matched, superseded = map_claims(
            [{"speaker_id": p.sid, "speaker_kind": p.kind, "speaker_name": c["speaker"]["name"],
              "stance": c.get("stance") or "asserts", "text": c["text"]} for c, p in zip(ordered, planned)],
            existing, corrections)
        kept = reviewers_claims(matched, superseded, corrections, text)
        lost = [o for o, f in matched.items() if f["id"] not in kept and "span" in
                ((corrections.get(f["id"]) or {}).get("fields") or ())]
        superseded = [f for f in superseded if f["id"] not in kept] + [matched.pop(o) for o in lost]
        ruled = [{"id": cid, "start": a, "end": b} for cid, (a, b) in kept.items()
                 if correction_rules.is_ruled(corrections.get(cid))]
        rows = []
        for offset, (claim, plan) in enumerate(zip(ordered, planned)):
            if offset in matched or correction_rules.yields_to_reviewer(claim, ruled):
                continue
            plan.claims += 1
            seq = first_seq + offset
            rows.append((claim_id(seq), seq, {**claim, "revision": current_revision,
                                              "extractor_version": extractor_version}, plan))
        revived = [f for f in matched.values() if f.get("superseded_in_revision") is not None]
        joins, tables = clusters.plan(pipe, redis, rows)
        history = pipe.lindex(Keys.revisions(aid), -1)
        pipe.multi()
        # The save's events (one a claim) enter the feed as one entry, queued before the EXEC.
        events = emitter.batch()
        speakers.apply(pipe, [p for p in {id(p): p for p in plans.values()}.values() if p.claims or not p.new],
                       now)
        index_entries: dict[str, dict[str, int]] = {}
        stored: dict[str, bytes | str] = {}
        for cid, seq, claim, plan in rows:
            stored[Keys.claim(cid)] = _write_claim(pipe, events, aid, cid, seq, claim, plan, joins[cid], now,
                                                   index_entries)
        for offset, fields in matched.items():
            record = _kept_claim(fields, ordered[offset], current_revision, extractor_version,
                                 correction_rules.protected_fields(
                                     (corrections.get(fields["id"]) or {}).get("fields") or ()),
                                 kept.get(fields["id"]))
            if record is not None:
                stored[Keys.claim(fields["id"])] = record
        found_ids = {f["id"] for f in matched.values()}
        for fields in existing.values():
            if fields["id"] in kept and fields["id"] not in found_ids:
                fields["start"], fields["end"] = kept[fields["id"]]
                stored[Keys.claim(fields["id"])] = _reviewers_record(fields, current_revision)
        for fields in superseded:
            fields.update(superseded_in_revision=current_revision, version=fields["version"] + 1)
            stored[Keys.claim(fields["id"])] = records.pack_claim(fields["id"], fields)
        # The claims' records and their speakers' signature entries (clusters.plan), in one MSET.
        stored.update({Keys.signature(sid, signature): " ".join(cluster_ids)
                       for (sid, signature), cluster_ids in tables.items()})
        if stored:
            pipe.mset(stored)
        for index, members in index_entries.items():
            add_claims(pipe, index, members)
        if rows and conn.options.search_index:
            # The new claims' search words are indexed by a follow-up step (search.py).
            pipe.zadd(Keys.search_pending, {aid: epoch_ms(now)})
        if count:
            pipe.zadd(Keys.seq_times, {f"{first_seq}:{first_seq + count - 1}": epoch_ms(now)})
        if revived:
            remove_claims(pipe, Keys.superseded, (fields["id"] for fields in revived))
        if superseded:
            add_claims(pipe, Keys.superseded, {fields["id"]: fields["seq"] for fields in superseded})
        for fields in superseded:
            events.emit(pipe, "claim.superseded", {"claim_id": fields["id"], "article_id": aid,
                                                   "revision": current_revision})
        total = len(rows) + len(matched) + len(set(kept) - found_ids)
        if history:
            entry = json.loads(history)
            entry["claims"] = {"kept": len(matched) - len(revived), "revived": len(revived), "new": len(rows),
                               "superseded": len(superseded)}
            pipe.lset(Keys.revisions(aid), -1, json.dumps(entry))
        article_index.set_status(pipe, aid, score, status, "done")
        pipe.hset(key, mapping={"error": "", "claim_count": total, "processed_at": now,
                                "extractor_version": extractor_version or ""})
        events.emit(pipe, "article.done", {"article_id": aid, "claim_count": total,
                                           "revision": current_revision})
        events.flush(pipe)
        pipe.execute()
        return True

    return conn.transaction(body, "save_claims")

def _kept_claim(fields: dict[str, Any], found: Mapping[str, Any], revision: int,
                extractor_version: str | None, protected: set[str] = frozenset(),  # type: ignore[assignment]
                span: tuple[int, int] | None = None) -> bytes | None:
    """An existing claim found again: where it is now and how sure the extractor is; its
    id, verdict, history, cluster and registry speaker stay, and so does every field a
    reviewer corrected (`protected`; a corrected span moves only to where its words now are).
    Returns its record to store, or None when nothing about it changed."""
    speaker = found["speaker"]
    update = {"start": found["start"], "end": found["end"], "type": found["type"],
              "cue": found.get("cue") or "", "confidence": round(float(found.get("confidence", 0.0)), 3),
              "speaker_mention": speaker.get("mention") or "", "speaker_title": speaker.get("title") or None,
              "text": found["text"], "revision": revision, "superseded_in_revision": None,
              "extractor_version": extractor_version}
    update = {k: v for k, v in update.items() if k not in protected}
    if span is not None and "start" in protected:
        update.update(start=span[0], end=span[1])
    if any(fields.get(k) != v for k, v in update.items()):
        fields.update(update, version=fields["version"] + 1)
        return records.pack_claim(fields["id"], fields)
    return None

def _reviewers_record(fields: dict[str, Any], revision: int) -> bytes:
    """The record of a corrected claim the extractor did not find again, kept because its
    words are still in the text (its span is where they are now)."""
    fields.update(revision=revision, superseded_in_revision=None, version=fields["version"] + 1)
    return records.pack_claim(fields["id"], fields)


def reviewers_claims(matched: Mapping[int, dict[str, Any]], superseded: list[dict[str, Any]],
                     corrections: Mapping[str, Any], text: str) -> dict[str, tuple[int, int]]:
    """The corrected claims a save keeps, by id, with the span their words have in `text`
    (`correction_rules.survives`): a corrected claim is kept while its words are in the text,
    found again by the extractor or not."""
    kept = {}
    for fields in [*matched.values(), *superseded]:
        if fields["id"] in corrections:
            span = correction_rules.survives(fields, text)
            if span is not None:
                kept[fields["id"]] = span
    return kept


def _write_claim(pipe: Pipeline, emitter: Emitter | EventBatch, aid: str, cid: str, seq: int,
                 claim: Mapping[str, Any], plan: Any, cluster: dict, now: str,
                 index_entries: dict[str, dict[str, int]]) -> bytes:
    """Queue one claim's writes on `pipe` and return its record; its index entries go into
    `index_entries`, so that an article's claims enter each shared index (all claims, the
    article's, a status, a speaker) in one ZADD rather than one per claim, and the records
    of an article's claims are written in one MSET by the caller."""
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
    indexes = [Keys.claims, Keys.article_claims(aid), Keys.by_type(claim["type"]), Keys.by_speaker(plan.sid)]
    indexes += status_indexes(fields.get("status", UNINDEXED_STATUS))
    if stance != "asserts":
        indexes.append(Keys.by_stance(stance))
    if plan.kind not in speakers.NAMED:
        indexes.append(Keys.by_name(speaker["name"]))
    for index in indexes:
        index_entries.setdefault(index, {})[cid] = seq
    clusters.write(pipe, cid, seq, cluster)
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
    return records.pack_claim(cid, fields)


def map_claims(new: Sequence[Mapping[str, Any]], existing: Mapping[str, dict[str, Any]],
               corrections: Mapping[str, Any] | None = None
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
            found = next((f for f in pool if f["id"] not in used
                          and correction_rules.found_again(claim, f, (corrections or {}).get(f["id"]))), None)
            if found is not None:
                matched[i] = found
                used.add(found["id"])
    superseded = [f for f in current if f["id"] not in used]
    return matched, superseded
