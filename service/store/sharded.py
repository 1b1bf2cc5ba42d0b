"""Sharded indexes (layout.py): the writes and reads of an index kept as `SHARDS` sorted sets,
each its own hash slot on a Redis Cluster, as plain functions over a client or a pipeline.

Every function here also takes a plain sorted set's name and does what one command on it
would, so that a caller names an index by `layout.Keys` without knowing which it is. An entry
of score ``s`` is in shard ``s mod 16`` (`layout.shard_of`): adding, removing or probing one
entry is one command, on its shard. Reading an index in order merges its shards (`after`).
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from redis import Redis
from redis.client import Pipeline

from .fanout import pairs
from .layout import SHARDS, is_sharded, shard_key, shard_keys, shard_of


def add(pipe: Pipeline, index: str, entries: Mapping[str, float]) -> None:
    """Queue on `pipe` the entry of {member: score} into `index`: one ZADD per shard touched."""
    if not entries:
        return
    if not is_sharded(index):
        pipe.zadd(index, dict(entries))
        return
    for key, part in by_shard(index, entries).items():
        pipe.zadd(key, part)


def remove(pipe: Pipeline, index: str, entries: Mapping[str, float]) -> None:
    """Queue on `pipe` the removal of {member: score} from `index` (the scores find the shards)."""
    if not entries:
        return
    if not is_sharded(index):
        pipe.zrem(index, *entries)
        return
    for key, part in by_shard(index, entries).items():
        pipe.zrem(key, *part)


def score(pipe: Pipeline | Redis, index: str, member: str, at: float) -> Any:
    """ZSCORE of `member` (whose score, if it is there, is `at`) in `index`: queued on a
    pipeline, or the reply on a client."""
    return pipe.zscore(shard_key(index, shard_of(at)) if is_sharded(index) else index, member)


def sizes(redis: Redis, indexes: Sequence[str]) -> list[int]:
    """How many entries each of `indexes` holds, in one round trip (a pipeline of ZCARDs)."""
    with redis.pipeline(transaction=False) as pipe:
        spans = []
        for index in indexes:
            keys = shard_keys(index) if is_sharded(index) else [index]
            for key in keys:
                pipe.zcard(key)
            spans.append(len(keys))
        replies = pipe.execute()
    return span_totals(replies, spans)


def span_totals(counts: Sequence[Any], spans: Sequence[int]) -> list[int]:
    """`counts` (one per key) summed per index, each index holding the next `spans[i]` keys."""
    out, at = [], 0
    for n in spans:
        out.append(int(sum(int(c) for c in counts[at:at + n])))
        at += n
    return out


def members(redis: Redis, index: str) -> list[str]:
    """Every member of `index`, in score order (for the migration, and small indexes)."""
    if not is_sharded(index):
        return list(redis.zrange(index, 0, -1))
    with redis.pipeline(transaction=False) as pipe:
        for key in shard_keys(index):
            pipe.zrange(key, 0, -1, withscores=True)
        rows = [row for reply in pipe.execute() for row in reply]
    return [member for member, _ in sorted(rows, key=lambda row: row[1])]


def range_command(key: str, direction: str, bound: str, stop: str, count: int) -> tuple[Any, ...]:
    """The command that reads the next `count` entries of sorted set `key` after exclusive
    score `bound` ('' = from the end) up to inclusive score `stop` ('' = none), with their
    scores (a flat reply: member, score, ...; `fanout.pairs` reads it)."""
    if direction == "desc":
        return ("ZRANGE", key, "+inf" if bound == "" else "(" + bound, "-inf" if stop == "" else stop,
                "BYSCORE", "REV", "LIMIT", 0, count, "WITHSCORES")
    return ("ZRANGE", key, "-inf" if bound == "" else "(" + bound, "+inf" if stop == "" else stop,
            "BYSCORE", "LIMIT", 0, count, "WITHSCORES")


def pipelined(redis: Redis) -> Callable[[Sequence[Sequence[Any]]], list[Any]]:
    """Commands run on one pipeline of `redis`: one round trip."""
    def run(commands: Sequence[Sequence[Any]]) -> list[Any]:
        with redis.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            return pipe.execute()
    return run


def after(run: Callable[[Sequence[Sequence[Any]]], list[Any]], index: str, direction: str, bound: str, stop: str,
          count: int) -> list[tuple[str, float]]:
    """The next `count` entries of `index` after exclusive score `bound`, up to inclusive
    score `stop`, in `direction`, as (member, score): what ZRANGE ... BYSCORE LIMIT gives on
    one sorted set. `run` sends commands in one round trip (`pipelined`, `fanout.fanout`). A
    sharded index's shards are read in one round trip, a few entries each, and merged by
    score; a shard whose entries run out before the merge is done is read again (rarely:
    entries spread evenly over the shards)."""
    if not is_sharded(index):
        return pairs(run([range_command(index, direction, bound, stop, count)])[0])
    keys = shard_keys(index)
    per = min(count, 2 * -(-count // SHARDS) + 2)
    bounds = [bound] * SHARDS
    buffers: list[list[tuple[str, float]]] = [[] for _ in keys]
    at = [0] * SHARDS
    live = [True] * SHARDS
    sign = -1 if direction == "desc" else 1
    # Each shard's next entry, as (its score, signed so that the next one is the smallest; its
    # shard): the same pick as taking the first of the largest (or smallest) heads in shard order.
    heads: list[tuple[float, int]] = []

    def read(shards: Sequence[int]) -> None:
        replies = run([range_command(keys[s], direction, bounds[s], stop, per) for s in shards])
        for s, reply in zip(shards, replies):
            rows = pairs(reply)
            buffers[s], at[s] = rows, 0
            if len(rows) < per:
                live[s] = False
            if rows:
                bounds[s] = score_text(rows[-1][1])
                heapq.heappush(heads, (sign * rows[0][1], s))

    read(range(SHARDS))
    out: list[tuple[str, float]] = []
    while heads and len(out) < count:
        _, s = heapq.heappop(heads)
        out.append(buffers[s][at[s]])
        at[s] += 1
        if at[s] < len(buffers[s]):
            heapq.heappush(heads, (sign * buffers[s][at[s]][1], s))
        elif live[s] and len(out) < count:
            read([s])
    return out


def score_text(value: float) -> str:
    """A score as Redis and Lua write it: an integer without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def by_shard(index: str, entries: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """{member: score} of sharded index `index`, split by the shard that holds each entry."""
    parts: dict[str, dict[str, float]] = {}
    for member, value in entries.items():
        parts.setdefault(shard_key(index, shard_of(value)), {})[member] = value
    return parts

