"""What the workers count and log about each job.

Jobs run in work horses, processes forked from the worker, so the counts go through
prometheus-client's multiprocess mode: `main` gives every worker a PROMETHEUS_MULTIPROC_DIR
(a fresh private one unless the operator names a shared one) before prometheus-client is
imported. They are read either

- from the worker's own port (CLAIMTRACK_METRICS_PORT, on CLAIMTRACK_METRICS_ADDR, default
  127.0.0.1): `serve` answers ``GET /metrics`` with the sums over the worker's directory; or
- from the API's ``/metrics``, when the API and the workers of one host share one directory
  (``make run`` does this).

Each finished attempt also writes one JSON log line (logger ``claimtrack.jobs``) with
`article_id`, `job_id`, `queue`, `duration_ms`, `claims` and `outcome`; never article text.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from rq.job import Job, JobStatus

from service.metrics import scrape_registry, use_cached_pid
from service.queue import EXTRACT_JOB
from service.store.events import DELIVER_JOB

if TYPE_CHECKING:
    from rq import Queue

#: Extraction takes 0.05-2 s for most articles, up to the job timeout for the longest.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CLAIM_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500)

log = logging.getLogger("claimtrack.jobs")


class JobMetrics:
    """The job series of one worker process (and the horses forked from it)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        use_cached_pid()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.started = Counter("claimtrack_jobs_started", "Job attempts started.", ["queue"], registry=r)
        self.ended = Counter("claimtrack_jobs_ended", "Job attempts by outcome: finished, retried (failed and "
                             "queued again), failed (for good), killed (its process died).",
                             ["queue", "outcome"], registry=r)
        self.duration = Histogram("claimtrack_job_duration_seconds", "Time one job attempt ran, by outcome.",
                                  ["queue", "outcome"], buckets=DURATION_BUCKETS, registry=r)
        self.claims = Histogram("claimtrack_article_claims", "Claims extracted per article.",
                                buckets=CLAIM_BUCKETS, registry=r)
        self.deliveries = Counter("claimtrack_webhook_deliveries", "Webhook delivery attempts by outcome: "
                                  "delivered, retried, failed (given up).", ["outcome"], registry=r)

    def record(self, job: Job, queue_name: str, outcome: str, seconds: float | None, claims: int | None) -> None:
        self.ended.labels(queue_name, outcome).inc()
        if seconds is not None:
            self.duration.labels(queue_name, outcome).observe(seconds)
        if claims is not None:
            self.claims.observe(claims)
        if job.func_name == DELIVER_JOB:
            self.deliveries.labels({"finished": "delivered"}.get(outcome, outcome)).inc()


def outcome_of(job: Job, succeeded: bool) -> str:
    """finished, retried (RQ queued or scheduled it again) or failed."""
    if succeeded:
        return "finished"
    status = job.get_status(refresh=False)
    return "retried" if status in (JobStatus.SCHEDULED, JobStatus.QUEUED) else "failed"


def claims_of(job: Job) -> int | None:
    """The claim count an extraction job returned (one read of the job's result)."""
    if job.func_name != EXTRACT_JOB:
        return None
    result = job.return_value()
    return result.get("claims") if isinstance(result, dict) else None


def report(metrics: "JobMetrics | None", job: Job, queue_name: str, outcome: str, seconds: float | None,
           claims: int | None = None, **extra: Any) -> None:
    """Count one ended attempt and log its line."""
    if metrics is not None:
        metrics.record(job, queue_name, outcome, seconds, claims)
    article_id = job.args[0] if job.func_name == EXTRACT_JOB and job.args else None
    log.log(logging.WARNING if outcome != "finished" else logging.INFO, "job", extra={
        "article_id": article_id, "job_id": job.id, "queue": queue_name,
        "duration_ms": None if seconds is None else round(seconds * 1000, 1), "claims": claims, "outcome": outcome, **extra})


class MeteredWorker:
    """Mixed into the RQ worker class: count and log each job attempt.

    `perform_job` runs in the horse; `handle_work_horse_killed` in the worker, for a horse
    that died (signal, out of memory) and so never reported its job.
    """

    metrics: JobMetrics | None = None

    def perform_job(self, job: Job, queue: "Queue", *args: Any, **kwargs: Any) -> bool:
        if self.metrics is not None:
            self.metrics.started.labels(queue.name).inc()
        started = time.perf_counter()
        succeeded = super().perform_job(job, queue, *args, **kwargs)  # type: ignore[misc]
        seconds = time.perf_counter() - started
        outcome = outcome_of(job, succeeded)
        claims = None
        if succeeded:
            try:
                claims = claims_of(job)
            except Exception:  # the count is for metrics only; never fail a done job over it
                log.exception("could not read the claim count of job %s", job.id)
        report(self.metrics, job, queue.name, outcome, seconds, claims)
        return succeeded

    def handle_work_horse_killed(self, job: Job, retpid: Any, ret_val: Any, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)  # type: ignore[misc]
        report(self.metrics, job, job.origin, "killed", None, horse_exit=ret_val)


def serve(metrics: JobMetrics, port: int, addr: str) -> None:
    """Serve this worker's job series on ``http://ADDR:PORT/metrics`` from a thread."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=addr, registry=scrape_registry(metrics.registry))

