"""Copying a store to another Redis: `flask --app service.app copy-store` (docs/scaling.md).

What it is for: moving a single server's store into a Redis Cluster (the old server can stay
on as the job queues' Redis, CLAIMTRACK_QUEUE_URL). Every ``ct:*`` key is copied as it is,
with DUMP and RESTORE (exact contents and encoding, and its remaining time to live), so
nothing needs to know each record's shape, and a key copied twice is the same key: the copy
is idempotent. RQ's keys (``rq:*``) are not copied; they belong to the queue Redis.

Resumable: the source is walked with SCAN, and after every batch the scan's cursor is written
to the target (`Keys.copy_progress`); a copy that was stopped goes on from that cursor. SCAN
returns every key that exists for the whole walk at least once, which is why the source must
not change meanwhile: stop the API and the workers first (a key written during the copy may
be missed; run the copy again with ``restart`` to walk everything again).

`verify` then compares the two: the number of keys of each family (``ct:article``,
``ct:claim``, ...) on each side, and a sample of keys read back type by type.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError

from .layout import PREFIX, Keys

#: Keys DUMPed and RESTOREd per round trip (and per saved cursor).
COPY_BATCH = 500
_MATCH = f"{PREFIX}:*"


def copy_store(source: Redis, target: Redis, batch: int = COPY_BATCH, restart: bool = False,
               max_batches: int | None = None) -> dict[str, Any]:
    """Copy every ``ct:*`` key of `source` (a single server, bytes client) to `target` (a
    server or a cluster, bytes client), from where an earlier copy stopped unless `restart`.
    A batch is one SCAN of COUNT `batch` (a hint: a call may return a few more keys).
    `max_batches` stops after that many batches (an interrupted copy, for tests and for
    copying in slices). Returns the progress: cursor, keys copied so far, and done."""
    progress = {} if restart else {k.decode(): v.decode() for k, v in target.hgetall(Keys.copy_progress).items()}
    if progress.get("done") == "1":
        return _report(progress)
    cursor = int(progress.get("cursor", 0))
    copied = int(progress.get("copied", 0))
    batches = 0
    while True:
        cursor, keys = source.scan(cursor, match=_MATCH, count=batch)
        keys = [k for k in keys if k != Keys.copy_progress.encode()]
        if keys:
            with source.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.dump(key)
                    pipe.pttl(key)
                dumped = pipe.execute()
            with target.pipeline(transaction=False) as pipe:
                for key, value, ttl in zip(keys, dumped[::2], dumped[1::2]):
                    if value is not None and ttl != -2:  # gone (expired) since the scan saw it
                        pipe.restore(key, max(int(ttl), 0), value, replace=True)
                        copied += 1
                pipe.execute()
        done = cursor == 0
        progress = {"cursor": str(cursor), "copied": str(copied), "done": "1" if done else "0"}
        target.hset(Keys.copy_progress, mapping=progress)
        batches += 1
        if done or (max_batches is not None and batches >= max_batches):
            return _report(progress)


def _report(progress: dict[str, str]) -> dict[str, Any]:
    return {"cursor": int(progress.get("cursor", 0)), "copied": int(progress.get("copied", 0)),
            "done": progress.get("done") == "1"}


def _keys(redis: Redis) -> Iterator[bytes]:
    """Every ``ct:*`` key (of every primary, for a cluster client) but the copy's progress."""
    for key in redis.scan_iter(match=_MATCH, count=1000):
        if key != Keys.copy_progress.encode():
            yield key


def family(key: bytes) -> str:
    """A key's family: its first two parts (``ct:article``, ``ct:claims``, ...)."""
    return ":".join(key.decode("utf-8", "replace").split(":")[:2])


def read_value(redis: Redis, key: bytes) -> tuple[str, Any]:
    """A key's type and whole contents, comparable across servers (unlike DUMP's bytes, which
    carry the encoding a server chose)."""
    kind = redis.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind == "string":
        return kind, redis.get(key)
    if kind == "hash":
        return kind, redis.hgetall(key)
    if kind == "list":
        return kind, redis.lrange(key, 0, -1)
    if kind == "set":
        return kind, sorted(redis.smembers(key))
    if kind == "zset":
        return kind, redis.zrange(key, 0, -1, withscores=True)
    if kind == "stream":
        return kind, redis.xrange(key, "-", "+")
    return kind, None


def verify(source: Redis, target: Redis, sample: int = 200, seed: int | None = None) -> dict[str, Any]:
    """Compare a finished copy with its source: key counts by family, then `sample` keys
    chosen at random, read on both sides. ``ok`` is whether all of it matched."""
    chooser = random.Random(seed)
    counts: Counter[str] = Counter()
    chosen: list[bytes] = []
    seen = 0
    for key in _keys(source):
        counts[family(key)] += 1
        seen += 1
        if len(chosen) < sample:
            chosen.append(key)
        else:  # reservoir sampling: every key equally likely, in one pass
            slot = chooser.randrange(seen)
            if slot < sample:
                chosen[slot] = key
    copied: Counter[str] = Counter(family(key) for key in _keys(target))
    mismatched = []
    for key in chosen:
        try:
            same = read_value(source, key) == read_value(target, key)
        except ResponseError:
            same = False
        if not same:
            mismatched.append(key.decode("utf-8", "replace"))
    families = sorted(set(counts) | set(copied))
    differing = {f: [counts[f], copied[f]] for f in families if counts[f] != copied[f]}
    return {"ok": not differing and not mismatched, "source_keys": sum(counts.values()),
            "target_keys": sum(copied.values()), "families": {f: counts[f] for f in families},
            "differing_families": differing, "sampled": len(chosen), "mismatched": mismatched}
