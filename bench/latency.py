#!/usr/bin/env python3
"""End-to-end latency: POST of one 600-word article -> the article reads `done`.

Issue 6, item 5. Prints one line of JSON.

A private redis-server, gunicorn with the service's configuration and one worker
(`python -m workers.worker`, log level INFO as by default). The service is idle before each
article (a pause of --gap seconds, so the worker is blocked in RQ's dequeue): the clock
starts before the POST is sent and stops when the article's status is first seen `done`.
`done` is detected from Redis keyspace notifications on the article's hash (no polling
loop competing with the worker for the CPU).

Per article it also reads RQ's job record, to split the latency into: the POST itself, the
queue (enqueued -> the job starts in the work horse: dequeue, dispatch, RQ bookkeeping), the
job (start_processing, extraction, save_claims), and the rest (RQ's result bookkeeping
until the `done` write is seen). And it times `extract_claims` on the same article in this
process right after, so the latency can be compared with the extraction alone.

The first articles after the worker starts are reported apart (`cold`): the first job
forks the work horse and warms its caches.

  bench/latency.py [--articles 50] [--gap 0.3] [--cold 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (DoneWatcher, Processes, RedisServer, emit, extractor_model, log, machine, post_json,  # noqa: E402
                     rounded, start_gunicorn, start_workers, summary_ms)
from _fixtures import articles  # noqa: E402


def job_record(raw, aid: str):
    from rq.job import Job
    from rq.serializers import JSONSerializer

    keys = list(raw.scan_iter(match=f"rq:job:extract-{aid}-*".encode(), count=1000))
    if not keys:
        return None
    return Job.fetch(keys[0].decode().split("rq:job:", 1)[1], connection=raw, serializer=JSONSerializer)


def epoch(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=50)
    ap.add_argument("--gap", type=float, default=0.3, help="idle seconds before each article")
    ap.add_argument("--cold", type=int, default=3, help="first articles reported apart")
    args = ap.parse_args()

    from workers.extraction import extract_claims

    info = machine()
    texts = articles(args.cold + args.articles, seed=5)
    nlp = extractor_model()

    rows = []
    with Processes() as procs:
        redis = RedisServer(procs)
        base = start_gunicorn(procs, redis.url)
        start_workers(procs, redis.url, 1, extra_env={"LOG_LEVEL": "INFO"})
        raw = redis.client(decode=False)
        watcher = DoneWatcher(redis.url)
        for i, text in enumerate(texts):
            time.sleep(args.gap)
            wall0, t0 = time.time(), time.perf_counter()
            status, body = post_json(base, "/v1/articles", {"text": text, "title": f"Latency {i}"})
            t_post = time.perf_counter()
            assert status == 202, (status, body)
            aid = body["id"]
            done = watcher.wait([aid], timeout=120)[aid]
            e0 = time.perf_counter()
            extract_claims(text, nlp)
            extraction = time.perf_counter() - e0
            rows.append({"aid": aid, "wall0": wall0, "e2e": done - t0, "post": t_post - t0,
                         "extraction_in_process": extraction})
            if i < args.cold or (i + 1) % 10 == 0:
                log(f"article {i + 1}: {rows[-1]['e2e'] * 1000:.0f} ms (extraction alone {extraction * 1000:.0f} ms)")
        time.sleep(1.0)  # RQ writes the job's end after the article's `done`
        for row in rows:
            job = job_record(raw, row["aid"])
            if job is not None and job.started_at and job.ended_at:
                started, ended = epoch(job.started_at), epoch(job.ended_at)
                row.update(queue=started - (row["wall0"] + row["post"]), job=ended - started,
                           after_job=(row["wall0"] + row["e2e"]) - ended)
        failed = len(texts) - len(rows)
        watcher.close()
        raw.close()

    cold, warm = rows[:args.cold], rows[args.cold:]

    def stats(part: list[dict], key: str) -> dict:
        values = [r[key] for r in part if key in r]
        return summary_ms(values) if values else {}

    e2e = stats(warm, "e2e")
    emit(rounded({
        "benchmark": "latency",
        "articles": len(warm), "words_per_article": sum(len(t.split()) for t in texts) / len(texts),
        "idle_gap_s": args.gap,
        "e2e_ms": e2e,
        "breakdown_ms": {k: stats(warm, k) for k in ("post", "queue", "job", "after_job")},
        "extraction_in_process_ms": stats(warm, "extraction_in_process"),
        "cold_e2e_ms": [r["e2e"] * 1000 for r in cold],
        "target": {"p50_max_ms": 250, "p50_ms": e2e.get("p50"), "met": bool(e2e) and e2e["p50"] <= 250},
        "failed": failed,
        "machine": info,
    }))


if __name__ == "__main__":
    main()
