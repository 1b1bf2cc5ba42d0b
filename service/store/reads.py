"""Reads that several repositories share, as plain functions over a connection or a pipeline.

A claim is shown with its article's reference fields, so reading claims is the same for the
claims, the clusters and the speakers; a list page walks indexes the same way whoever lists.
Keeping these here, below every repository, is what lets the repositories stay unaware of one
another.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from redis import Redis, RedisCluster
from redis.client import Pipeline
from redis.exceptions import NoScriptError

from . import records, sharded, speakers
from .base import SCAN_BUDGET, Gone, NotFound, Page
from .connection import Connection
from .fanout import fanout
from .layout import UNINDEXED_STATUS, Keys, bucket_entry, is_bucketed
from .values import decode_cursor, encode_cursor, is_id, seq_of_claim
from .text import context_span


def live_article(pipe: Pipeline, aid: str, *fields: str) -> list[Any]:
    """`fields` of an article that exists and is not taken down, read on a pipeline in
    immediate mode (under the caller's WATCH); NotFound or Gone, after UNWATCH, otherwise."""
    *values, deleted, status = pipe.hmget(Keys.article(aid), *fields, "deleted_at", "status")
    if deleted:
        pipe.unwatch()
        raise Gone({"id": aid, "deleted_at": deleted})
    if status is None:
        pipe.unwatch()
        raise NotFound(aid)
    return values


def watch_claims(pipe: Pipeline, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Claims about to be rewritten, read after WATCHing them, so that a verdict set
    meanwhile makes the rewrite start again instead of being overwritten."""
    if not ids:
        return {}
    keys = [Keys.claim(cid) for cid in ids]
    pipe.watch(*keys)
    return {cid: records.unpack_claim(cid, raw) for cid, raw in zip(ids, pipe.mget(keys)) if raw}


def claims(conn: Connection, ids: Iterable[str], context: bool = False) -> list[dict[str, Any]]:
    """Claims by id, each with its article (read once per article), and with its context
    when asked: that reads the article's text, so list pages only do it on request. One
    round trip (`scripts.READ_CLAIMS`)."""
    ids = list(ids)
    if not ids:
        return []
    fields = article_fields(context)
    reply = conn.read_claims(args=[Keys.claim(""), Keys.article(""), *fields, "--", *ids])
    return assemble(ids, *reply, context=context)


def queue_claims(conn: Connection, pipe: Pipeline, ids: Sequence[str], context: bool = False) -> None:
    """Queue `claims`' script on `pipe` (someone else's round trip); `assemble` reads its
    reply. By its digest only: where Redis lost the script, the reply is a NoScriptError."""
    pipe.evalsha(conn.read_claims.sha, 0, Keys.claim(""), Keys.article(""), *article_fields(context), "--", *ids)


def article_fields(context: bool) -> tuple[str, ...]:
    return records.ARTICLE_REF_FIELDS + (("text",) if context else ())


def assemble(ids: Sequence[str], found: Sequence[str | None], aids: Sequence[str],
             articles: Sequence[Sequence[str | None]], context: bool = False) -> list[dict[str, Any]]:
    """The API's claims from what `read_claims` returned, in the order of `ids`: each
    article's reference is built once per page and shared by that article's claims (read,
    never changed, by whoever gets them), each claim straight from its record
    (`records.shown_claim`)."""
    if context:
        texts = {aid: values[-1] or "" for aid, values in zip(aids, articles)}
    refs = {aid: records.article_ref(aid, values) for aid, values in zip(aids, articles)}
    out = []
    for cid, raw in zip(ids, found):
        if raw:
            record = records.shown_claim(cid, raw)
            record["article"] = refs[record["article_id"]]
            if context:
                record["context"] = claim_context(record, texts[record["article_id"]])
            out.append(record)
    return out


def claim_context(record: dict[str, Any], article_text: str) -> str:
    """The sentences of the article's text that hold the claim (the claim's own text when the
    article's text no longer holds it at its span)."""
    start, end = record["span"]["start"], record["span"]["end"]
    if article_text[start:end] != record["text"]:
        return record["text"]  # type: ignore[no-any-return]
    first, last = context_span(article_text, start, end)
    return article_text[first:last]


def shown_cluster(clsid: str, stored: Mapping[str, str], claims: Sequence[Mapping[str, Any]],
                  log: Sequence[str]) -> dict[str, Any] | None:
    """The cluster `ClusterRepository.get` returns, from its hash (empty for a claim alone in its
    cluster), its claims as `claims` (above) shows them (with their articles; those that left the
    cluster or were superseded are dropped here) and its log's entries. None when no claim is left."""
    claims = [c for c in claims if c["cluster_id"] == clsid and c["superseded_in_revision"] is None]
    if not claims:
        return None
    appearances = [
        {"claim_id": c["id"], "article_id": c["article_id"], "url": c["article"]["url"],
         "published_at": c["article"]["published_at"], "title": c["article"]["title"],
         "created_at": c["created_at"], "first": False}
        for c in claims
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


def smallest_first(conn: Connection, indexes: list[str]) -> list[str]:
    """Indexes to intersect, the smallest first: it is walked, the others only probed
    (O(1) or O(log n) each), so a page costs what the most selective filter leaves. One round
    trip (`scripts.SIZES`: a bucketed index's size is the sum of its buckets')."""
    if len(indexes) < 2:
        return indexes
    sizes = conn.sizes(keys=indexes, args=[Keys.claim_seq])
    return [k for _, k in sorted(zip(sizes, indexes))]


def add_claims(pipe: Pipeline, index: str, members: dict[str, int]) -> None:
    """Queue on `pipe` the entry of claims {id: seq} into `index`: one ZADD (one per shard
    touched, of a sharded index), or one SADD per bucket of a bucketed index (an article's
    claims have consecutive seqs: mostly one)."""
    if not is_bucketed(index):
        sharded.add(pipe, index, members)
        return
    buckets: dict[str, list[int]] = {}
    for seq in members.values():
        key, offset = bucket_entry(index, seq)
        buckets.setdefault(key, []).append(offset)
    for key, offsets in buckets.items():
        pipe.sadd(key, *offsets)


def remove_claim(pipe: Pipeline, index: str, cid: str) -> None:
    """Queue on `pipe` the removal of claim `cid` from `index`."""
    if is_bucketed(index):
        pipe.srem(*bucket_entry(index, seq_of_claim(cid)))
    else:
        sharded.remove(pipe, index, {cid: seq_of_claim(cid)})


def status_indexes(status: str) -> tuple[str, ...]:
    """The indexes a claim of verification `status` is in because of its status: none for
    `unverified` (most claims), else its status index and the index of every claim with a
    status (`Keys.with_status`), which the unverified list excludes. Every writer of a status
    goes through this or `move_status`, so that the two indexes never disagree."""
    if status == UNINDEXED_STATUS:
        return ()
    return (Keys.by_status(status), Keys.with_status)


def move_status(pipe: Pipeline, cid: str, seq: int, before: str, after: str) -> None:
    """Queue on `pipe` a claim's moves between indexes when its status goes from `before` to
    `after` (`status_indexes`): an index it stays in (`Keys.with_status`, between two statuses
    other than `unverified`) is not written."""
    old, new = status_indexes(before), status_indexes(after)
    for index in old:
        if index not in new:
            remove_claim(pipe, index, cid)
    for index in new:
        if index not in old:
            add_claims(pipe, index, {cid: seq})


def remove_claims(pipe: Pipeline, index: str, ids: Iterable[str]) -> None:
    """Queue on `pipe` the removal of claims `ids` from sorted-set or sharded index `index`."""
    sharded.remove(pipe, index, {cid: seq_of_claim(cid) for cid in ids})


def index_size(conn: Connection, index: str) -> int:
    """How many claims `index` holds (`scripts.SIZES`)."""
    return int(conn.sizes(keys=[index], args=[Keys.claim_seq])[0])


def has_claim(pipe: Pipeline, index: str, cid: str) -> None:
    """Queue on `pipe` whether claim `cid` is in `index` (a sorted set's score, or a bucketed
    index's SISMEMBER: not None, or 1, when it is)."""
    if is_bucketed(index):
        pipe.sismember(*bucket_entry(index, seq_of_claim(cid)))
    else:
        sharded.score(pipe, index, cid, seq_of_claim(cid))


def walk(conn: Connection, indexes: list[str], direction: str, cursor: str | None, limit: int,
         low: int | None = None, high: int | None = None, excluded: Sequence[str] = (),
         context: bool = False, budget: int | None = None) -> Page:
    """One page of claims from the first index, present in the other `indexes` and absent
    from `excluded` (the Lua in `scripts.py`), within `budget` entries examined."""
    keys, args = _walk_arguments(indexes, direction, cursor, limit, low, high, excluded, context, budget)
    return _page(conn.page(keys=keys, args=args), context)


def queue_walk(conn: Connection, pipe: Pipeline, indexes: list[str], direction: str, cursor: str | None,
               limit: int, low: int | None = None, high: int | None = None, excluded: Sequence[str] = (),
               context: bool = False, budget: int | None = None) -> Callable[[Sequence[Any]], Page]:
    """`walk` queued on `pipe` (someone else's round trip: the API's lockout check,
    `auth.read_checked`); returns what makes the page of the replies to what it queued. Where
    the script cannot be queued (a cluster, a Redis that lost its scripts) the page is read
    once the replies are in, in a round trip of its own."""
    keys, args = _walk_arguments(indexes, direction, cursor, limit, low, high, excluded, context, budget)
    if conn.cluster:
        return lambda replies: _page(conn.page(keys=keys, args=args), context)
    pipe.evalsha(conn.page.sha, len(keys), *keys, *args)

    def finish(replies: Sequence[Any]) -> Page:
        reply = replies[0]
        if isinstance(reply, NoScriptError):
            return _page(conn.page(keys=keys, args=args), context)  # the Script object loads it
        if isinstance(reply, Exception):
            raise reply
        return _page(reply, context)

    return finish


def _walk_arguments(indexes: list[str], direction: str, cursor: str | None, limit: int, low: int | None,
                    high: int | None, excluded: Sequence[str], context: bool,
                    budget: int | None) -> tuple[list[str], list[Any]]:
    """The page script's KEYS and ARGV (`scripts.PAGE`)."""
    budget = SCAN_BUDGET if budget is None else budget
    bound = "" if cursor is None else decode_cursor(cursor)
    if direction == "desc":
        if high is not None and (bound == "" or int(bound) > high):
            bound = str(high + 1)
        stop = "" if low is None else str(low)
    else:
        stop = ""
    return [*indexes, *excluded], [direction, bound, limit, budget, stop, len(excluded), Keys.claim_seq,
                                   Keys.claim(""), Keys.article(""), *article_fields(context)]


def _page(reply: Sequence[Any], context: bool) -> Page:
    ids, last, exhausted, found, aids, articles = reply
    items = assemble(ids, found, aids, articles, context)
    next_cursor = None if int(exhausted) or last in (None, "") else encode_cursor(int(float(last)))
    return Page(items=items, next_cursor=next_cursor)


def current_speaker(redis: Redis, sid: str) -> str | None:
    """`sid`, or the speaker it was merged into; None when unknown."""
    if not is_id("spk", sid):
        return None
    for _ in range(16):
        # On a cluster through `fanout`: redis-py's cluster client costs more than the read.
        merged, exists = fanout(redis, [("HMGET", Keys.speaker(sid), "merged_into", "id")])[0] \
            if isinstance(redis, RedisCluster) else redis.hmget(Keys.speaker(sid), "merged_into", "id")
        if exists is None:
            return None
        if not merged:
            return sid
        sid = merged
    return sid


def speaker_named(redis: Redis, name: str) -> str | None:
    """The registry speaker (a person, else an organisation) with this name or alias."""
    if isinstance(redis, RedisCluster):  # every kind in one round trip
        found = fanout(redis, [("GET", speakers.name_key(kind, name)) for kind in speakers.NAMED])
        return next((current_speaker(redis, sid) for sid in found if sid), None)
    for kind in speakers.NAMED:
        sid = redis.get(speakers.name_key(kind, name))
        if sid:
            return current_speaker(redis, sid)
    return None
