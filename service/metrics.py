"""Prometheus metrics of the API: ``GET /metrics`` (text format, `metrics` or `admin` role).

Two kinds of series:

- Counted by the processes: HTTP requests by route template, method and status, with latency
  histograms (here), and the workers' job series (`workers.metrics`). Under gunicorn several
  processes count, so prometheus-client's multiprocess mode is used whenever
  PROMETHEUS_MULTIPROC_DIR names a directory: each process writes its values to files there
  and a scrape sums them. The directory must be empty when the service starts and private to
  one service instance (gunicorn_conf makes a fresh one when the variable is unset).
  prometheus-client decides the mode when it is first imported, which is why it is imported
  inside the functions below: the worker and gunicorn set the variable first.
- Read from Redis at scrape time (`PipelineCollector`): articles by status, queue depth, age
  of the oldest waiting job, live workers and each one's heartbeat age. They describe shared
  state, so any API process gives the same answer, and they cost a few Redis round trips per
  scrape, never per request.

Labels carry only route templates, statuses, queue and worker names: never an id, a path with
ids in it, article text or a key.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from redis.exceptions import RedisError

from . import pipeline
from .auth import requires
from .config import Config
from .store import Repositories

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

#: Request latency buckets (seconds): most requests take 1-20 ms, article posts a few more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_dir() -> str | None:
    """The directory of prometheus-client's multiprocess mode (its own variable), or None."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


#: This process's id, kept current across fork() by `os.register_at_fork`.
_pid = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))
#: The value class installed by `use_cached_pid`, once per process.
_pid_class: list[Any] = [None]


def _current_pid() -> int:
    return _pid[0]


def use_cached_pid() -> None:
    """In multiprocess mode, prometheus-client asks the process id on every increment, to
    notice a fork; that is a system call, which costs about 10 us in some sandboxes (3 per
    request here, a tenth of a cheap request's CPU: bench/api.py --metrics-overhead). Its
    documented extension point, `MultiProcessValue(process_identifier)`, takes a function
    instead: ours returns the id cached above, which fork handlers keep right. Done once per
    process, before the first metric exists (two value classes would each map the same file)."""
    from prometheus_client import values

    if multiprocess_dir() and _pid_class[0] is None:
        _pid_class[0] = values.MultiProcessValue(process_identifier=_current_pid)
        values.ValueClass = _pid_class[0]


def scrape_registry(own: "CollectorRegistry") -> "CollectorRegistry":
    """A registry that collects what every process of this instance counted: the shared
    directory's files in multiprocess mode, else this process's own registry."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_Forward(own))
    return registry


class _Forward:
    """Collects another registry's metrics (single-process mode)."""

    def __init__(self, registry: "CollectorRegistry") -> None:
        self.registry = registry

    def collect(self) -> Iterator["Metric"]:
        return self.registry.collect()


class ApiMetrics:
    """The API process's request series; one per app, in a registry of its own."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        use_cached_pid()
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("claimtrack_http_requests", "HTTP requests answered, by route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("claimtrack_http_request_duration_seconds",
                                 "Time from a request's arrival in the app to its response.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class PipelineCollector:
    """Series read from Redis when scraped (see the module docstring)."""

    def __init__(self, repos: Repositories, config: Config) -> None:
        self.repos = repos
        self.config = config

    def collect(self) -> Iterator["Metric"]:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("claimtrack_redis_up", "1 when Redis answered this scrape's reads.")
        try:
            state = pipeline.read(self.repos, self.config)
        except RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        articles = GaugeMetricFamily("claimtrack_articles", "Articles in each status.", labels=["status"])
        for status, count in state.articles.items():
            articles.add_metric([status], count)
        yield articles
        families = {
            "depth": GaugeMetricFamily("claimtrack_queue_depth", "Jobs waiting in the queue.", labels=["queue"]),
            "oldest": GaugeMetricFamily("claimtrack_queue_oldest_job_age_seconds",
                                        "How long the queue's oldest waiting job has waited (0 when empty).",
                                        labels=["queue"]),
            "started": GaugeMetricFamily("claimtrack_queue_started_jobs", "Jobs of the queue being run.",
                                         labels=["queue"]),
            "scheduled": GaugeMetricFamily("claimtrack_queue_scheduled_jobs",
                                           "Jobs waiting for a retry's back-off.", labels=["queue"]),
            "failed": GaugeMetricFamily("claimtrack_queue_failed_jobs",
                                        "Jobs that failed for good and are still kept.", labels=["queue"]),
            "live": GaugeMetricFamily("claimtrack_queue_live_workers", "Live workers serving the queue.",
                                      labels=["queue"]),
        }
        for queue in state.queues:
            families["depth"].add_metric([queue.name], queue.depth)
            families["oldest"].add_metric([queue.name], queue.oldest_age_seconds or 0.0)
            families["started"].add_metric([queue.name], queue.started)
            families["scheduled"].add_metric([queue.name], queue.scheduled)
            families["failed"].add_metric([queue.name], queue.failed)
            families["live"].add_metric([queue.name], queue.live_workers)
        yield from families.values()
        live = GaugeMetricFamily("claimtrack_workers_live",
                                 "Workers whose last heartbeat is at most CLAIMTRACK_STALL_AFTER seconds old.")
        live.add_metric([], sum(1 for w in state.workers if w.live))
        yield live
        heartbeat = GaugeMetricFamily("claimtrack_worker_heartbeat_age_seconds",
                                      "Seconds since each registered worker's last heartbeat.", labels=["worker"])
        for worker in state.workers:
            if worker.heartbeat_age_seconds is not None:
                heartbeat.add_metric([worker.name], worker.heartbeat_age_seconds)
        yield heartbeat
        verdict = GaugeMetricFamily("claimtrack_pipeline_verdict",
                                    "1 for the current verdict of /v1/status (ok, degraded, stalled).",
                                    labels=["verdict"])
        for name in pipeline.VERDICTS:
            verdict.add_metric([name], 1 if state.verdict == name else 0)
        yield verdict


def install(app: Flask, repos: Repositories, config: Config) -> ApiMetrics:
    """Count every request, and serve ``GET /metrics``."""
    from prometheus_client import generate_latest

    metrics = ApiMetrics()
    collector = PipelineCollector(repos, config)

    @app.before_request
    def _arrived() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            rule = request.url_rule
            metrics.observe(request.method, rule.rule if rule is not None else "unmatched",
                            response.status_code, time.perf_counter() - started)
        return response

    @requires("metrics")
    def metrics_view() -> Response:
        registry = scrape_registry(metrics.registry)
        registry.register(collector)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE)

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    return metrics
