#!/usr/bin/env python3
"""Shards: what a list page costs on one redis-server with the global indexes sharded (schema 7,
16 sorted sets an index merged by the page script) against the same entries in one sorted set
each (schema 6), in the same run, on the same data (issue 22).

A redis-server is loaded through the store's real write path (`_common.store_synthetic_article`,
20 claims an article; a share given a verdict), which writes the sharded indexes; each one is
then also copied into the single sorted set schema 6 kept it in (`layout.unsharded`,
ZUNIONSTORE of its shards), so both layouts are in the same Redis. Each page (the list pages a
sharded index changes: the newest claims, whose exclusions are sharded, by status, by stance,
unverified, a deep page, the articles) is read by the same page script (`reads.walk`, or the
script alone for the articles) on both layouts, in alternating blocks of 10 calls; the figures
are the Redis CPU time per page (INFO commandstats, EVALSHA's usec) and the client's wall time
p50, and the ratios sharded / one set.

  bench/shards.py [--claims 20000] [--samples 300] [--verified 0.05]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Processes, RedisServer, emit, log, machine, rounded, store_synthetic_article  # noqa: E402
from scale import PER_ARTICLE, verify_some  # noqa: E402

BLOCK = 10


def evalsha_usec(redis) -> tuple[int, int]:
    stats = redis.info("commandstats").get("cmdstat_evalsha") or {}
    return int(stats.get("usec", 0)), int(stats.get("calls", 0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--verified", type=float, default=0.05)
    args = ap.parse_args()

    from service.store import Keys, Repositories, reads
    from service.store.base import SCAN_BUDGET
    from service.store.layout import is_sharded, shard_keys, unsharded
    from service.store.migrate import sharded_indexes

    with Processes() as procs:
        server = RedisServer(procs, notify=False, name="redis-shards")
        store = Repositories.from_url(server.url, socket_timeout=None)
        raw = server.client()
        articles = max(1, args.claims // PER_ARTICLE)
        log(f"loading {articles} articles of {PER_ARTICLE} claims")
        for n in range(articles):
            store_synthetic_article(store, 1_000_000 + n, PER_ARTICLE)
        verify_some(store, raw, args.verified, random.Random(7), set())
        for index in sharded_indexes():
            raw.zunionstore(unsharded(index), shard_keys(index))
        conn = store.conn
        sizes = {s: raw.zcard(unsharded(Keys.by_status(s))) for s in ("false", "misleading", "not_a_claim")}
        rare = min(sizes, key=sizes.get)  # type: ignore[arg-type]
        statuses = [Keys.by_status(s) for s in ("in_review", "true", "mostly_true", "half_true", "mostly_false",
                                                "false", "misleading", "unverifiable", "not_a_claim")]
        top = int(raw.get(Keys.claim_seq))
        default = [Keys.by_status("not_a_claim"), Keys.superseded]
        pages = {  # name: (indexes, excluded, cursor seq)
            "newest": ([Keys.claims], default, None),
            "status_false": ([Keys.by_status("false")], [Keys.superseded], None),
            f"status_rare ({rare})": ([Keys.by_status(rare)], [Keys.superseded], None),
            "stance_denies": ([Keys.by_stance("denies")], default, None),
            "unverified": ([Keys.claims], [*statuses, Keys.superseded], None),
            "deep_status_false": ([Keys.by_status("false")], [Keys.superseded], top // 2),
        }

        def one_set(keys: list[str]) -> list[str]:
            return [unsharded(k) if is_sharded(k) else k for k in keys]

        def claims_page(indexes: list[str], excluded: list[str], at: int | None):
            from service.store.values import encode_cursor

            cursor = encode_cursor(at) if at is not None else None
            return lambda: reads.walk(conn, indexes, "desc", cursor, 50, excluded=excluded).items

        def articles_page(index: str):
            return lambda: conn.page(keys=[index], args=["desc", "", 50, SCAN_BUDGET, "", 0])[0]

        ops: dict[str, dict[str, object]] = {}
        for name, (indexes, excluded, at) in pages.items():
            ops[name] = {"sharded": claims_page(indexes, excluded, at),
                         "one_set": claims_page(one_set(indexes), one_set(excluded), at)}
        for name, index in (("articles", Keys.articles), ("articles_done", Keys.articles_by_status("done"))):
            ops[name] = {"sharded": articles_page(index), "one_set": articles_page(unsharded(index))}
        for name, pair in ops.items():
            same = pair["sharded"]() == pair["one_set"]()  # type: ignore[operator]
            if not same:
                raise SystemExit(f"{name}: the two layouts' pages differ")
        log(f"timing {len(ops)} pages x {args.samples} on each layout, in alternating blocks of {BLOCK}")
        usec = {name: {"sharded": 0, "one_set": 0} for name in ops}
        wall: dict[str, dict[str, list[float]]] = {name: {"sharded": [], "one_set": []} for name in ops}
        for _ in range(max(1, args.samples // BLOCK)):
            for name, pair in ops.items():
                for layout in ("one_set", "sharded"):
                    before, _ = evalsha_usec(raw)
                    for _ in range(BLOCK):
                        t0 = time.perf_counter()
                        pair[layout]()  # type: ignore[operator]
                        wall[name][layout].append(time.perf_counter() - t0)
                    usec[name][layout] += evalsha_usec(raw)[0] - before
        calls = max(1, args.samples // BLOCK) * BLOCK
        figures = {}
        for name in ops:
            one, shard = usec[name]["one_set"] / calls, usec[name]["sharded"] / calls
            p50 = {k: statistics.median(v) * 1000 for k, v in wall[name].items()}
            figures[name] = {"redis_us_one_set": one, "redis_us_sharded": shard,
                             "redis_ratio": shard / one if one else None,
                             "p50_ms_one_set": p50["one_set"], "p50_ms_sharded": p50["sharded"],
                             "p50_ratio": p50["sharded"] / p50["one_set"]}
        emit(rounded({"claims": articles * PER_ARTICLE, "samples": calls, "rare_status": rare,
                      "machine": machine(), "pages": figures}))


if __name__ == "__main__":
    main()
