#!/usr/bin/env python3
"""Per-job overhead of the worker: what a job costs beyond its extraction.

Issue 6, item 2. Prints one line of JSON.

One worker (a private redis-server, no API: jobs are queued through the store's real
`articles.create` + `enqueue_extraction` path, so the API's CPU stays out of the figure) gets
a queue of N realistic 600-word articles the moment it has registered (its model loaded);
the clock runs from the first enqueue to the last article seen `done`. Per job:

  per_job_ms     wall time / N: dequeue, dispatch to the work horse (fork or not), RQ's
                 bookkeeping, start_processing, extraction, save_claims, the result
  extraction_ms  `extract_claims` on the same articles in this process (warm, no service);
                 the articles go in chunks of 10, each timed here just before or just after
                 (alternately) the worker runs it, so both see the same machine speed
  overhead_ms    per_job_ms - extraction_ms;  overhead_share = overhead_ms / per_job_ms
  inside/between from RQ's job records: started_at..ended_at is the job inside the horse
                 (storage + extraction), ended_at..next started_at is RQ and the dispatch
  cpu_*          the same on CPU time (worker + horses vs this process), less noisy here

Worker log level INFO, the default (RQ writes a few lines per job). The same is measured
with near-empty articles ("tiny"), whose extraction is a few ms, so
that the fixed per-job cost shows by itself, and for the worker variants of
bench/_worker_variant.py (RQ's fork per job, no gc.freeze) to show what each choice saves.

  bench/overhead.py [--articles 100] [--tiny 100] [--variants shipped,fork-per-job,no-freeze]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (PY, BENCH, DoneWatcher, Processes, RedisServer, emit, extractor_model, log, machine,  # noqa: E402
                     rounded, session_cpu_seconds, start_workers, summary_ms)
from _fixtures import articles  # noqa: E402

TINY = "The council met on Tuesday."


def service_run(variant: str, texts: list[str], tag: str, nlp, chunk: int) -> dict:
    """One worker of `variant`; the articles go through it in chunks, each chunk also timed
    in this process right before or right after (alternately), so that the comparison is
    paired at a scale of seconds: this machine's speed drifts by tens of percent."""
    from rq.job import Job
    from rq.serializers import JSONSerializer

    from service.config import Config
    from service.queue import enqueue_extraction, extraction_queue
    from service.store import Repositories
    from workers.extraction import extract_claims

    with Processes() as procs:
        redis = RedisServer(procs)
        [worker] = start_workers(procs, redis.url, 1, argv=[PY, str(BENCH / "_worker_variant.py"), variant],
                                 name=f"{variant}-{tag}-", extra_env={"LOG_LEVEL": "INFO"})
        config = Config(redis_url=redis.url, job_retries=0)
        store = Repositories.from_url(redis.url)
        queue = extraction_queue(store.raw, config)
        job_ids: dict[str, str] = {}
        watcher = DoneWatcher(redis.url)

        def enqueue(pipe, aid: str) -> None:
            job_ids[aid] = enqueue_extraction(queue, config, aid, pipeline=pipe).id

        def in_process(part: list[str]) -> tuple[float, float]:
            t0, c0 = time.perf_counter(), time.process_time()
            for text in part:
                extract_claims(text, nlp)
            return time.perf_counter() - t0, time.process_time() - c0

        def through_worker(part: list[str]) -> tuple[float, float, list[str]]:
            c0 = session_cpu_seconds([worker.pid])
            t0 = time.perf_counter()
            ids = [store.articles.create({"text": text}, [], enqueue)[0]["id"] for text in part]
            done = watcher.wait(ids, timeout=120 + 5 * len(part))
            return max(done.values()) - t0, session_cpu_seconds([worker.pid]) - c0, ids

        wall = cpu = e_wall = e_cpu = 0.0
        chunks: list[list[str]] = []
        for i in range(0, len(texts), chunk):
            part = texts[i:i + chunk]
            if (i // chunk) % 2 == 0:
                ew, ec = in_process(part)
                w, c, ids = through_worker(part)
            else:
                w, c, ids = through_worker(part)
                ew, ec = in_process(part)
            wall, cpu, e_wall, e_cpu = wall + w, cpu + c, e_wall + ew, e_cpu + ec
            chunks.append(ids)
        all_ids = [aid for ids in chunks for aid in ids]
        failed = sum(1 for aid in all_ids if (store.articles.get(aid) or {}).get("status") != "done")
        inside, between = [], []
        for ids in chunks:
            jobs = sorted((Job.fetch(job_ids[aid], connection=store.raw, serializer=JSONSerializer) for aid in ids),
                          key=lambda j: j.started_at)
            inside += [(j.ended_at - j.started_at).total_seconds() for j in jobs]
            between += [(b.started_at - a.ended_at).total_seconds() for a, b in zip(jobs, jobs[1:])]
        loaded = procs.log_of(f"{variant}-{tag}-0").count("model loaded")
        watcher.close()
    n = len(texts)
    per_job, extraction = wall / n * 1000, e_wall / n * 1000
    cpu_job, cpu_extraction = cpu / n * 1000, e_cpu / n * 1000
    return {"jobs": n, "per_job_ms": per_job, "extraction_ms": extraction, "overhead_ms": per_job - extraction,
            "overhead_share": (per_job - extraction) / per_job,
            "cpu_per_job_ms": cpu_job, "extraction_cpu_ms": cpu_extraction, "cpu_overhead_ms": cpu_job - cpu_extraction,
            "cpu_overhead_share": (cpu_job - cpu_extraction) / cpu_job,
            "inside_job_ms": summary_ms(inside), "between_jobs_ms": summary_ms(between), "failed": failed,
            "model_loads_logged": loaded}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--tiny", type=int, default=100)
    ap.add_argument("--variants", default="shipped,fork-per-job,no-freeze")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every variant this many times (medians)")
    ap.add_argument("--chunk", type=int, default=10, help="articles per paired worker/in-process chunk")
    args = ap.parse_args()

    info = machine()
    full = articles(args.articles, seed=2)
    tiny = [TINY] * args.tiny
    nlp = extractor_model()
    gc.collect()
    gc.freeze()  # as the worker does after loading the model
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    results: dict[str, dict[str, list[dict]]] = {v: {"full": [], "tiny": []} for v in variants}
    for round_no in range(args.rounds):
        for variant in variants:
            for kind, texts in (("full", full), ("tiny", tiny)):
                if not texts:
                    continue
                log(f"{variant}, {kind}: {len(texts)} jobs")
                run = service_run(variant, texts, f"{kind}{round_no}", nlp, args.chunk)
                log(f"  {run['per_job_ms']:.1f} ms per job, extraction {run['extraction_ms']:.1f} ms: "
                    f"overhead {run['overhead_ms']:.1f} ms ({run['overhead_share']:.1%}); "
                    f"CPU {run['cpu_overhead_share']:.1%}")
                results[variant][kind].append(run)

    def condense(runs: list[dict]) -> dict:
        if not runs:
            return {}
        if len(runs) == 1:
            return runs[0]
        keys = ("per_job_ms", "extraction_ms", "overhead_ms", "overhead_share", "cpu_per_job_ms",
                "extraction_cpu_ms", "cpu_overhead_ms", "cpu_overhead_share")
        return {**{k: statistics.median(r[k] for r in runs) for k in keys}, "runs": runs}

    out = {v: {kind: condense(runs) for kind, runs in kinds.items()} for v, kinds in results.items()}
    shipped = out.get("shipped", {}).get("full", {})
    emit(rounded({
        "benchmark": "overhead",
        "articles": len(full), "tiny_articles": len(tiny),
        "words_per_article": sum(len(t.split()) for t in full) / max(1, len(full)),
        "variants": out,
        "target": {"max_overhead_share": 0.10, "overhead_share": shipped.get("overhead_share"),
                   "cpu_overhead_share": shipped.get("cpu_overhead_share"),
                   "met": bool(shipped) and shipped["overhead_share"] <= 0.10},
        "machine": info,
    }))


if __name__ == "__main__":
    main()
