#!/usr/bin/env python3
"""Scale: claims loaded straight into Redis through the store, then reads timed at 10k and
at the full size (1M for the report; --claims, default 100k for quick runs).

Issue 6, item 4. Prints one line of JSON.

Loading goes through the store's real write path, article by article: `articles.create`
(with no job queued), `jobs.start_processing`, `claims.save` with 20 synthetic claims (bench/
_fixtures.py: varied texts, 2,500 people, a third of the quotes from 50 prominent ones,
organisations and unnamed sources), each a pipelined MULTI/EXEC as the worker does; --loaders
processes load in parallel. A share of the claims (--verified, 3%) then gets a verification
status through `verdicts.update`, so status filters have something to find.

Each size has its own redis-server, loaded from the same articles; both stay up, and the reads
of both sizes are timed interleaved, in one random order, so that the 10k figure is the
baseline measured at the same moments as the 1M one (this machine's speed drifts by tens of
percent over minutes). Reads, each timed --samples times per size (one client, no HTTP: the
API's own cost is bench/api.py's): `claims.list` newest first, by a rare and a common status,
by type + status, by speaker (prominent and occasional), by article, deep pages (cursors from
walking), `claims.of_article`, `claims.get`. Target: p99 at the full size <= 1.3 x p99 at 10k (issue 20;
issue 6 asked 1.5).
At each size it also reports what correcting and taking down a 20-claim article costs
(`lifecycle_20_claims`: median ms and Redis commands; issue 12).
Each read asks for the same page size at every size: the number of items it returned at the
first size (at most 50). A rare status or an occasional speaker fills only part of a page at
10k and a whole one at 1M; the figure is about the cost of the data's size, not of a fuller page.

Memory: Redis `used_memory` growth per claim, split with sampled `MEMORY USAGE` into the claim
records, the article hashes and the rest (indexes, speakers, ...), against the bytes of the
claim's own text. Target: <= 1 KB per claim beyond its text (the article records, which hold
the article text once, are reported apart). Also reported: the same figure without the change
feed (a stream kept for a number of days, however many claims there are) and without the
word-search index (which CLAIMTRACK_SEARCH_INDEX=off leaves out).

  bench/scale.py [--claims 100000] [--small 10000] [--loaders 2] [--samples 1000] [--time-limit S]

With --cluster it runs bench/cluster.py instead, with the same --claims, --samples and
--verified: the same reads on a local 3-master Redis Cluster against one server (issue 22).

--time-limit stops loading early (the reads are then timed at the size reached, and the JSON
says so): the store's write path gets slower as it grows, see `load_curve`.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (Processes, RedisServer, emit, log, machine, percentile, rounded,  # noqa: E402
                     store_synthetic_article)

PER_ARTICLE = 20
#: p99 of every read at the full size over its p99 at 10k must stay under this (issue 20).
P99_GROWTH_MAX = 1.3


def _load(args: tuple[str, int, int]) -> tuple[int, int, int, float]:
    """Load articles [first, last) in one process; returns articles, claims, text bytes, seconds."""
    url, first, last = args
    from service.store import Repositories

    store = Repositories.from_url(url, socket_timeout=None)
    start = time.perf_counter()
    claims = text_bytes = 0
    for i in range(first, last):
        _, records = store_synthetic_article(store, i, PER_ARTICLE, title=f"Scale article {i}",
                                             url=f"https://news.example.org/scale/{i}")
        claims += len(records)
        text_bytes += sum(len(r["text"].encode()) for r in records)
    return last - first, claims, text_bytes, time.perf_counter() - start


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def load(url: str, first_article: int, articles: int, loaders: int) -> dict:
    step = -(-articles // loaders)
    parts = [(url, first_article + k * step, min(first_article + (k + 1) * step, first_article + articles))
             for k in range(loaders)]
    parts = [p for p in parts if p[2] > p[1]]
    start = time.perf_counter()
    if len(parts) == 1:
        results = [_load(parts[0])]
    else:
        # Loaders take the default signal handlers: the cleanup handler this process installs
        # (bench/_common.py) would keep a terminated loader alive, holding the pool's lock.
        pool = multiprocessing.get_context("fork").Pool(len(parts), initializer=_default_signals)
        try:
            results = pool.map(_load, parts)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    seconds = time.perf_counter() - start
    claims = sum(r[1] for r in results)
    return {"articles": sum(r[0] for r in results), "claims": claims, "claim_text_bytes": sum(r[2] for r in results),
            "seconds": seconds, "claims_per_s": claims / seconds, "articles_per_s": sum(r[0] for r in results) / seconds}


def random_articles(raw, count: int) -> list[str]:
    """About `count` random article ids, from the index of every article (sharded: an even
    share of each shard, layout.py)."""
    from service.store import Keys
    from service.store.layout import SHARDS, shard_keys

    with raw.pipeline(transaction=False) as pipe:
        for key in shard_keys(Keys.articles):
            pipe.zrandmember(key, -(-count // SHARDS))
        found = [aid for reply in pipe.execute() for aid in reply]
    random.shuffle(found)
    return found[:count]


def random_claims(raw, count: int) -> list[str]:
    """About `count` random claim ids (no repeats), from the index of every claim (bucketed:
    one set of seq offsets per `WORD_BUCKET` seqs, layout.py), each bucket sampled in
    proportion to its size."""
    from service.store import Keys
    from service.store.layout import WORD_BUCKET
    from service.store.values import claim_id

    keys = list(raw.scan_iter(match=Keys.claims + "*", count=1000))
    with raw.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.scard(key)
        sizes = pipe.execute()
    total = sum(sizes) or 1
    with raw.pipeline(transaction=False) as pipe:
        for key, size in zip(keys, sizes):
            pipe.srandmember(key, max(1, round(count * size / total)) if size else 0)
        picked = pipe.execute()
    ids = [claim_id(int(key.rsplit(":", 1)[1]) * WORD_BUCKET + int(offset))
           for key, offsets in zip(keys, picked) for offset in offsets or []]
    random.Random(len(ids)).shuffle(ids)
    return ids[:count]


def claim_total(raw) -> int:
    from service.store import Keys

    return sum(raw.scard(key) for key in raw.scan_iter(match=Keys.claims + "*", count=1000))


def verify_some(store, raw, share: float, rng: random.Random, exclude: set[str]) -> int:
    """Give `share` of the claims not yet touched a verification status (real write path)."""
    from service.store import VERIFICATION_STATUSES

    total = claim_total(raw)
    wanted = int(total * share) - len(exclude)
    statuses = [s for s in VERIFICATION_STATUSES if s != "unverified"]
    done = 0
    while done < wanted:
        for cid in random_claims(raw, min(1000, wanted - done)):
            if cid in exclude:
                continue
            store.verdicts.update(cid, {"status": rng.choice(statuses), "note": "scale"}, by="bench")
            exclude.add(cid)
            done += 1
            if done >= wanted:
                break
    return done


def choose_queries(raw) -> dict[str, str]:
    """The filter values of the timed reads, chosen once (at the first size) and used again
    at every size, so that each read is the same query as the data grows."""
    from service.store import Keys
    from service.store.records import unpack_claim
    from service.store.sharded import sizes

    names: dict[str, int] = {}
    for cid in random_claims(raw, 400):
        stored = raw.get(Keys.claim(cid))
        name = unpack_claim(cid, stored)["speaker_name"] if stored else None
        if name and not name.startswith("a "):
            names[name] = names.get(name, 0) + 1
    ranked = sorted(names, key=lambda n: -names[n])
    statuses = ("true", "false", "misleading", "unverifiable")
    counts = dict(zip(statuses, sizes(raw, [Keys.by_status(s) for s in statuses])))
    return {"prominent": ranked[0], "occasional": ranked[-1], "rare_status": min(counts, key=counts.get)}  # type: ignore[arg-type]


def read_ops(store, raw, samples: int, queries: dict[str, str], limits: dict[str, int]) -> tuple[dict, dict]:
    """The timed reads on one size's store, warmed up, and the mean number of items each
    returns. A read's page size is `limits[name]` (50 when absent); on the first call,
    `limits` is filled with the sizes the reads returned, for the next sizes."""
    claim_ids = random_claims(raw, samples)
    article_ids = random_articles(raw, samples)
    prominent, occasional = queries["prominent"], queries["occasional"]
    # Deep pages: cursors reached by walking the unfiltered list and a status list.
    deep = []
    for kwargs in ({}, {"status": "unverified"}):
        cursor = None
        for hop in range(40):
            page = store.claims.list(cursor=cursor, limit=50, **kwargs)
            cursor = page.next_cursor
            if cursor is None:
                break
            if hop % 8 == 7:
                deep.append((kwargs, cursor))
    rare = queries["rare_status"]

    def n(name: str) -> int:
        return limits.get(name, 50)

    ops = {
        "list_newest": lambda i: store.claims.list(limit=n("list_newest")),
        "list_status_common": lambda i: store.claims.list(status="unverified", limit=n("list_status_common")),
        "list_status_rare": lambda i: store.claims.list(status=rare, limit=n("list_status_rare")),
        "list_type_and_status": lambda i: store.claims.list(claim_type="mixed", status="unverified",
                                                            limit=n("list_type_and_status")),
        "list_speaker_prominent": lambda i: store.claims.list(speaker=prominent, limit=n("list_speaker_prominent")),
        "list_speaker_occasional": lambda i: store.claims.list(speaker=occasional,
                                                               limit=n("list_speaker_occasional")),
        "list_by_article": lambda i: store.claims.list(article_id=article_ids[i % len(article_ids)],
                                                       limit=n("list_by_article")),
        "list_deep_page": lambda i: store.claims.list(cursor=deep[i % len(deep)][1], limit=n("list_deep_page"),
                                                      **deep[i % len(deep)][0]),
        "article_claims": lambda i: store.claims.of_article(article_ids[i % len(article_ids)],
                                                         limit=n("article_claims")),
        "get_claim": lambda i: store.claims.get(claim_ids[i % len(claim_ids)]),
    }
    items = {}
    for name, op in ops.items():  # warm caches and connections; page sizes
        sizes = []
        for i in range(10):
            result = op(i)
            sizes.append(len(result.items) if hasattr(result, "items") and not isinstance(result, dict)
                         else int(result is not None))
        items[name] = sum(sizes) / len(sizes)
        if name != "get_claim":
            limits.setdefault(name, max(1, min(50, max(sizes))))
    return ops, items


def time_reads(ops_by_size: list[dict], rng: random.Random, samples: int) -> list[dict[str, list[float]]]:
    """Each read of each size `samples` times, all interleaved in one random order."""
    plan = [(k, name) for k, ops in enumerate(ops_by_size) for name in ops for _ in range(samples)]
    rng.shuffle(plan)
    times: list[dict[str, list[float]]] = [{name: [] for name in ops} for ops in ops_by_size]
    for k, name in plan:
        i = len(times[k][name])
        t0 = time.perf_counter()
        ops_by_size[k][name](i)
        times[k][name].append(time.perf_counter() - t0)
    return times


def _category(key: str) -> str | None:
    """Which part of the layout a key belongs to; None for claim and article hashes, which
    are sampled rather than walked."""
    # A key that belongs to a record has the record's key as its hash tag (layout.beside).
    parts = re.sub(r"\{ct:[^}]*\}", "*", key).split(":")
    if len(parts) == 3 and parts[1] in ("claim", "article") and parts[2] != "*":
        return None
    if parts[1] == "claims" and len(parts) >= 3:
        return f"index ct:claims:{parts[2]}:*"
    if parts[1] == "article" and parts[-1] == "claims":
        return "index ct:article:*:claims"
    if parts[1] == "claim" and len(parts) == 4:
        return f"ct:claim:*:{parts[3]}"
    if parts[1] == "speaker" and len(parts) >= 3:
        return "ct:speaker:*" + (f":{parts[3]}" if len(parts) == 4 else "")
    return ":".join(parts[:2]) + (":*" if len(parts) > 2 else "")


def memory(raw, claims: int, articles: int, text_bytes: int, baseline: int, walk: bool) -> dict:
    from service.store import Keys

    used = int(raw.info("memory")["used_memory"]) - baseline
    claim_keys = random_claims(raw, 2000)
    article_keys = random_articles(raw, 500)
    with raw.pipeline(transaction=False) as pipe:
        for cid in claim_keys:
            pipe.memory_usage(Keys.claim(cid), samples=0)
        claim_sizes = [x or 0 for x in pipe.execute()]
        for aid in article_keys:
            pipe.memory_usage(Keys.article(aid), samples=0)
        article_sizes = [x or 0 for x in pipe.execute()]
        for cid in claim_keys[:200]:
            pipe.object("encoding", Keys.claim(cid))
        encodings = pipe.execute()
    claim_record = statistics.mean(claim_sizes) * claims
    article_hash = statistics.mean(article_sizes) * articles
    rest = used - claim_record - article_hash
    per = 1.0 / claims
    text = text_bytes / claims
    out = {
        "used_memory_bytes": used, "per_claim_bytes": used * per,
        "claim_text_bytes_per_claim": text,
        "claim_record_bytes_per_claim": claim_record * per,
        "everything_else_bytes_per_claim": rest * per,
        "article_records_bytes_per_claim": article_hash * per,
        "beyond_claim_text_bytes_per_claim": (used - article_hash) * per - text,
        "claim_record_encodings": {e.decode() if isinstance(e, bytes) else str(e): encodings.count(e)
                                   for e in set(encodings)},
    }
    if walk:  # every other key, by kind: where "everything else" goes
        sizes: dict[str, int] = {}
        counts: dict[str, int] = {}
        batch: list[tuple[str, str]] = []

        def flush() -> None:
            with raw.pipeline(transaction=False) as pipe:
                for key, _ in batch:
                    pipe.memory_usage(key, samples=0)
                for (_, kind), size in zip(batch, pipe.execute()):
                    sizes[kind] = sizes.get(kind, 0) + (size or 0)
                    counts[kind] = counts.get(kind, 0) + 1
            batch.clear()

        for key in raw.scan_iter(count=5000):
            kind = _category(key)
            if kind is not None:
                batch.append((key, kind))
                if len(batch) >= 2000:
                    flush()
        flush()
        out["other_keys_bytes_per_claim"] = {k: {"keys": counts[k], "bytes_per_claim": v * per}
                                             for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])}
        feed = sizes.get("ct:events", 0) * per
        search = sizes.get("index ct:claims:word:*", 0) * per
        out["beyond_claim_text_without_feed_bytes_per_claim"] = out["beyond_claim_text_bytes_per_claim"] - feed
        out["beyond_claim_text_without_feed_or_search_bytes_per_claim"] = (
            out["beyond_claim_text_bytes_per_claim"] - feed - search)
    return out


def save_commands(url: str, raw, first_article: int, articles: int) -> dict:
    """Redis commands per stored claim of the extraction's save alone (`claims.save`: reads,
    WATCHes and writes, each pipelined command counted), and of its follow-up search-word
    step (`claims.index_words`), over `articles` more synthetic articles."""
    from _fixtures import synthetic_claims

    from service.store import Repositories

    store = Repositories.from_url(url, socket_timeout=None)

    def calls() -> int:
        return sum(stat["calls"] for stat in raw.info("commandstats").values())

    saved = indexed = claims = 0
    for i in range(first_article, first_article + articles):
        text, records = synthetic_claims(i, PER_ARTICLE)
        article, _ = store.articles.create({"text": text}, [], lambda pipe, aid: None)
        store.jobs.start_processing(article["id"])
        before = calls()
        store.claims.save(article["id"], records)
        middle = calls()
        store.claims.index_words(article["id"])
        after = calls()
        saved += middle - before - 1  # the INFO call itself
        indexed += after - middle - 1
        claims += len(records)
    return {"save_commands_per_claim": saved / claims, "search_step_commands_per_claim": indexed / claims}


def write_profile(url: str, raw, first_article: int, articles: int = 20) -> dict:
    """Where the write path's time goes at this size: cProfile of loading a few more
    articles in this process, and the Redis commands each article costs."""
    import cProfile
    import pstats

    before = raw.info("commandstats")
    profiler = cProfile.Profile()
    profiler.enable()
    _, claims, _, seconds = _load((url, first_article, first_article + articles))
    profiler.disable()
    after = raw.info("commandstats")
    commands = {}
    for key, stat in after.items():
        calls = stat["calls"] - before.get(key, {}).get("calls", 0)
        usec = stat["usec"] - before.get(key, {}).get("usec", 0)
        if calls:
            commands[key.removeprefix("cmdstat_")] = {"per_article": calls / articles, "redis_us_per_article": usec / articles}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    per_step = save_commands(url, raw, first_article + articles, articles)
    rows = [(cum, f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{line}:{func}", calls)
            for (path, line, func), (_, calls, own, cum, _) in stats.items()
            if "/service/" in path.replace(chr(92), "/")]
    return {"ms_per_article": seconds / articles * 1000, "claims_per_article": claims / articles,
            "redis_commands_per_article": dict(sorted(commands.items(), key=lambda kv: -kv[1]["per_article"])),
            **per_step,
            "service_functions_cumulative_ms_per_article": [
                {"function": f, "calls_per_article": c / articles, "ms": cum / articles * 1000}
                for cum, f, c in sorted(rows, reverse=True)[:10]]}


def lifecycle_costs(store, raw, first_seed: int, repeats: int = 10) -> dict:
    """Issue 12: what a correction and a takedown of a 20-claim article cost at this size (ms and
    Redis commands, median over `repeats` articles). A correction is `revise_article` with a
    changed text plus the re-extracted claims' `claims.save` (half kept, half new, the other
    half superseded); a takedown is `delete_article`."""
    from _fixtures import synthetic_claims

    from service.store import Keys

    def commands() -> int:
        return sum(stat["calls"] for stat in raw.info("commandstats").values())

    results: dict[str, list[tuple[float, int]]] = {"correction": [], "takedown": []}
    for k in range(repeats):
        aid, records = store_synthetic_article(store, first_seed + k, PER_ARTICLE)
        text, fresh = synthetic_claims(first_seed + 10_000 + k, PER_ARTICLE)
        half = PER_ARTICLE // 2
        old_text = store.redis.hget(Keys.article(aid), "text")
        shift = len(old_text) + 1
        corrected = records[:half] + [dict(c, start=c["start"] + shift, end=c["end"] + shift) for c in fresh[:half]]
        before, start = commands(), time.perf_counter()
        store.articles.revise(aid, {"text": old_text + "\n" + text}, "bench", lambda pipe, a: None)
        store.jobs.start_processing(aid)
        store.claims.save(aid, corrected)
        results["correction"].append(((time.perf_counter() - start) * 1000, commands() - before - 1))
        before, start = commands(), time.perf_counter()
        store.articles.delete(aid, "bench")
        results["takedown"].append(((time.perf_counter() - start) * 1000, commands() - before - 1))
    return {name: {"ms_median": statistics.median(ms for ms, _ in rows),
                   "redis_commands_median": statistics.median(n for _, n in rows)}
            for name, rows in results.items()}


def summarize(times: dict[str, list[float]], items: dict[str, float]) -> dict:
    return {name: {"p50_ms": percentile(v, 50) * 1000, "p99_ms": percentile(v, 99) * 1000,
                   "max_ms": max(v) * 1000, "items": items[name]} for name, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--loaders", type=int, default=2)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--verified", type=float, default=0.03)
    ap.add_argument("--step", type=int, default=50_000, help="claims per loading step (rate is reported per step)")
    ap.add_argument("--time-limit", type=float, default=0, help="stop loading after this many seconds (0: never)")
    ap.add_argument("--cluster", action="store_true",
                    help="compare a local 3-master Redis Cluster with one server instead (bench/cluster.py)")
    args = ap.parse_args()
    if args.cluster:
        import cluster
        sys.argv = [sys.argv[0], "--claims", str(args.claims), "--samples", str(args.samples),
                    "--verified", str(args.verified)]
        cluster.main()
        return

    from service.store import Repositories

    info = machine()
    rng = random.Random(4)
    phases = []
    reads = []  # per size: (ops, items)
    curve = []
    queries: dict[str, str] = {}
    limits: dict[str, int] = {}
    started = time.perf_counter()
    stopped_early = False
    with Processes() as procs:
        for size in sorted({args.small, args.claims}):
            redis = RedisServer(procs, notify=False, name=f"redis-{size}")
            raw = redis.client()
            store = Repositories.from_url(redis.url, socket_timeout=None)
            baseline = int(raw.info("memory")["used_memory"])
            loaded = {"articles": 0, "claims": 0, "claim_text_bytes": 0}
            phase_rate = {"claims": 0, "seconds": 0.0}
            while loaded["claims"] < size:
                if args.time_limit and time.perf_counter() - started > args.time_limit:
                    stopped_early = True
                    break
                step = min(args.step, size - loaded["claims"])
                articles = max(1, step // PER_ARTICLE)
                rate = load(redis.url, loaded["articles"], articles, args.loaders)
                for key in loaded:
                    loaded[key] += rate[key]
                phase_rate["claims"] += rate["claims"]
                phase_rate["seconds"] += rate["seconds"]
                curve.append({"size": size, "claims": loaded["claims"], "claims_per_s": rate["claims_per_s"]})
                log(f"  {loaded['claims']} claims loaded ({rate['claims_per_s']:.0f} claims/s for the last "
                    f"{rate['claims']}), {time.perf_counter() - started:.0f}s")
            if loaded["claims"] == 0:
                break
            log(f"at {loaded['claims']} claims: verifying {args.verified:.0%}")
            t0 = time.perf_counter()
            count = verify_some(store, raw, args.verified, rng, set())
            verify_rate = count / max(1e-9, time.perf_counter() - t0)
            mem = memory(raw, loaded["claims"], loaded["articles"], loaded["claim_text_bytes"], baseline, walk=True)
            log(f"  {mem['per_claim_bytes']:.0f} bytes per claim")
            queries = queries or choose_queries(raw)
            reads.append(read_ops(store, raw, args.samples, queries, limits))
            profile = write_profile(redis.url, raw, 10_000_000 + loaded["articles"])
            lifecycle = lifecycle_costs(store, raw, 20_000_000 + loaded["articles"])
            log(f"  correction {lifecycle['correction']['ms_median']:.1f} ms, "
                f"takedown {lifecycle['takedown']['ms_median']:.1f} ms")
            phases.append({"claims": loaded["claims"], "articles": loaded["articles"], "write_profile": profile,
                           "lifecycle_20_claims": lifecycle,
                           "load_claims_per_s": phase_rate["claims"] / max(1e-9, phase_rate["seconds"]),
                           "verify_per_s": verify_rate, "memory": mem})
            if stopped_early:
                break
        log("timing reads at every size, interleaved")
        for phase, (ops, items), times in zip(phases, reads, time_reads([ops for ops, _ in reads], rng, args.samples)):
            phase["reads"] = summarize(times, items)
            log(f"  {phase['claims']} claims: " + ", ".join(f"{k} p99 {v['p99_ms']:.1f}ms"
                                                          for k, v in phase["reads"].items()))

    small, large = phases[0], phases[-1]
    growth = {name: large["reads"][name]["p99_ms"] / small["reads"][name]["p99_ms"]
              for name in large["reads"] if name in small["reads"]}
    worst = max(growth, key=growth.get)  # type: ignore[arg-type]
    emit(rounded({
        "benchmark": "scale",
        "claims_requested": args.claims, "stopped_early_by_time_limit": stopped_early,
        "load_curve": curve,
        "phases": phases,
        "page_sizes": limits,
        "p99_growth": growth,
        "target": {
            "p99_growth_max": P99_GROWTH_MAX, "worst_op": worst, "worst_growth": growth[worst],
            "p99_met": all(g <= P99_GROWTH_MAX for g in growth.values()),
            "beyond_text_bytes_max": 1024, "beyond_text_bytes": large["memory"]["beyond_claim_text_bytes_per_claim"],
            "memory_met": large["memory"]["beyond_claim_text_bytes_per_claim"] <= 1024,
            "beyond_text_bytes_without_feed": large["memory"].get("beyond_claim_text_without_feed_bytes_per_claim"),
            "beyond_text_bytes_without_feed_or_search": large["memory"].get(
                "beyond_claim_text_without_feed_or_search_bytes_per_claim"),
            "claims_at_full_size": large["claims"],
        },
        "machine": info,
    }))


if __name__ == "__main__":
    main()
