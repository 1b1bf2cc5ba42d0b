#!/usr/bin/env python3
"""Review-console page rates against the JSON list of the same page, in the same run.

Issue 15. Prints one line of JSON.

A private redis-server is loaded through the store's real write path with --claims claims
(bench/api.py's `seed`: 20 per article, 30% given a verdict). One gunicorn runs the service
with its own configuration; a console session for the bench key is stored through the store
(as signing in does) and wrk sends its cookie. wrk (bench/api.py's `measure`: warm-up,
maximum rate, then p99 at half that rate) measures, one target at a time:

  list_json  GET /v1/claims?status=...&limit=50, first and deeper pages (real cursors)
  queue      GET /console/claims?status=...&cursor=..., the same pages as HTML
  claim      GET /console/claims/{id}, random claims (paragraph, history, cluster, suggestions)

The JSON list is measured first and last; its mean is the reference. Targets: queue and claim
pages >= 0.5 of the JSON list's rate, p99 < 50 ms at half of each page's own maximum rate.

  bench/console.py [--claims 100000] [--seconds 10] [--connections 16] [--workers N]
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import API_KEY, Processes, RedisServer, emit, log, machine, rounded, start_gunicorn  # noqa: E402
from api import measure, seed  # noqa: E402


def console_cookie(redis_url: str) -> str:
    """A signed-in console session for the bench key, stored as the sign-in form stores it."""
    from service.console.sessions import COOKIE
    from service.store import Repositories, digest

    session_id = secrets.token_urlsafe(32)
    Repositories.from_url(redis_url).sessions.save(session_id, {
        "key": digest(API_KEY), "user": "bench", "csrf_token": secrets.token_hex(20)}, 3600)
    return f"{COOKIE}={session_id}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=None, help="WEB_CONCURRENCY (default: the config's)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: bash scripts/ensure-command.sh wrk wrk")

    from service import gunicorn_conf

    info = machine()
    with Processes() as procs:
        redis = RedisServer(procs, notify=False)
        log(f"seeding {args.claims} claims")
        t0 = time.perf_counter()
        claim_ids, list_paths = seed(redis.url, args.claims)
        log(f"  seeded in {time.perf_counter() - t0:.0f}s")
        os.environ["WRK_COOKIE"] = console_cookie(redis.url)
        files = procs.tmp
        (files / "list.txt").write_text("".join(p + "\n" for p in list_paths))
        (files / "queue.txt").write_text("".join(
            p.replace("/v1/claims?", "/console/claims?").replace("&limit=50", "") + "\n" for p in list_paths))
        (files / "claim.txt").write_text("".join(f"/console/claims/{cid}\n" for cid in claim_ids))

        workers = args.workers or gunicorn_conf.workers
        service = start_gunicorn(procs, redis.url, workers=workers, name="service")
        results = {"list_json_first": measure("list_json", service, "paths", files / "list.txt", args, workers)}
        results["queue"] = measure("queue", service, "paths", files / "queue.txt", args, workers)
        results["claim"] = measure("claim", service, "paths", files / "claim.txt", args, workers)
        results["list_json_last"] = measure("list_json", service, "paths", files / "list.txt", args, workers)

    reference = (results["list_json_first"]["max"]["rate"] + results["list_json_last"]["max"]["rate"]) / 2
    targets = {}
    for name in ("queue", "claim"):
        ratio = results[name]["max"]["rate"] / reference
        p99 = results[name]["half_rate"]["p99_ms"]
        errors = results[name]["max"]["errors"] + results[name]["half_rate"]["errors"]
        targets[name] = {"ratio_to_list_json": ratio, "ratio_min": 0.5, "p99_at_half_ms": p99, "p99_max_ms": 50,
                         "errors": errors, "met": ratio >= 0.5 and p99 < 50 and errors == 0}
    emit(rounded({
        "benchmark": "console",
        "claims_seeded": len(claim_ids), "gunicorn_workers": workers, "connections": args.connections,
        "seconds": args.seconds, "list_json_rate": reference,
        "results": results,
        "target": {**targets, "met": all(t["met"] for t in targets.values())},
        "machine": info,
    }))


if __name__ == "__main__":
    main()
