"""The state of the job pipeline, as an operator needs it: what waits in each queue, which
workers are alive, and one verdict (`ok`, `degraded`, `stalled`).

`/readyz` only says whether Redis answers; this says whether articles are being processed.
`/v1/status`, `/metrics` and ``claimtrack-worker --check`` all read it. It uses RQ's public
API (queues, registries, worker records) over the store's connection.

A worker is *live* while its last heartbeat is at most ``stall_after`` seconds old (RQ's
workers beat every CLAIMTRACK_MAINTENANCE_INTERVAL seconds when idle and every
CLAIMTRACK_JOB_HEARTBEAT seconds during a job, so the bound must exceed both; the defaults
are 90, 30 and 10). A frozen worker (SIGSTOP, a hung host) keeps its record in Redis and its
state (`idle` or `busy`) but stops beating, which is how it is told from a working one.

Verdict:

- ``stalled``: a queue has work waiting (jobs in it, or, for extraction, articles still
  ``queued`` or ``processing``: a job taken by a frozen worker is in neither RQ list) and no
  live worker serves that queue. Nothing will happen until a worker is started or resumed.
- ``degraded``: work moves, but a queue has no live worker, a registered worker is not live,
  or a queue's oldest job has waited longer than ``stall_after`` (a backlog).
- ``ok``: otherwise.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from rq import Queue, Worker
from rq.serializers import JSONSerializer

from .config import Config
from .queue import extraction_queue
from .store import Repositories, format_time

VERDICTS = ("ok", "degraded", "stalled")


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    oldest_age_seconds: float | None
    started: int
    scheduled: int
    failed: int
    live_workers: int


@dataclass(frozen=True)
class WorkerState:
    name: str
    hostname: str | None
    pid: int | None
    state: str
    queues: list[str]
    current_job: str | None
    heartbeat_age_seconds: float | None
    live: bool


@dataclass(frozen=True)
class PipelineStatus:
    verdict: str
    reasons: list[str]
    stall_after: int
    checked_at: str
    queues: list[QueueState]
    workers: list[WorkerState]
    articles: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def queues_of(repos: Repositories, config: Config) -> list[Queue]:
    """Every queue Claimtrack uses: extraction, then webhook deliveries."""
    return [extraction_queue(repos.raw, config), repos.webhooks.delivery_queue]


def _age(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round(max(0.0, (now - moment).total_seconds()), 3)


def _oldest_enqueued(queue: Queue, job_ids: Sequence[str]) -> datetime | None:
    """When the oldest of `job_ids` was queued (the heads of the queue and of RQ's
    intermediate list, where a worker moves a job it takes)."""
    times = []
    for job_id in job_ids:
        job = queue.fetch_job(job_id)
        if job is not None and job.enqueued_at is not None:
            moment = job.enqueued_at
            times.append(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
    return min(times, default=None)


def read_workers(repos: Repositories, stall_after: int, now: datetime | None = None) -> list[WorkerState]:
    now = now or datetime.now(timezone.utc)
    found = []
    for worker in Worker.all(connection=repos.raw, serializer=JSONSerializer):
        age = _age(worker.last_heartbeat, now)
        found.append(WorkerState(
            name=worker.name,
            hostname=worker.hostname,
            pid=worker.pid,
            state=str(worker.get_state()),
            queues=worker.queue_names(),
            current_job=worker.get_current_job_id(),
            heartbeat_age_seconds=age,
            live=age is not None and age <= stall_after,
        ))
    return sorted(found, key=lambda w: w.name)


def read(repos: Repositories, config: Config) -> PipelineStatus:
    """Read the pipeline's state (a few Redis round trips per queue and per worker)."""
    now = datetime.now(timezone.utc)
    workers = read_workers(repos, config.stall_after, now)
    articles = repos.articles.counts()
    queues = []
    reasons = []
    stalled = False
    for queue in queues_of(repos, config):
        taken = queue.intermediate_queue.get_job_ids()
        depth = queue.count
        oldest = _oldest_enqueued(queue, queue.get_job_ids(0, 1) + taken[:1])
        live = sum(1 for w in workers if w.live and queue.name in w.queues)
        state = QueueState(
            name=queue.name,
            depth=depth,
            oldest_age_seconds=_age(oldest, now),
            # Without RQ's cleanup: a status read changes nothing, and never runs a dead job's
            # failure callback in an API process (that is the workers' maintenance).
            started=queue.started_job_registry.get_job_count(cleanup=False),
            scheduled=queue.scheduled_job_registry.get_job_count(cleanup=False),
            failed=queue.failed_job_registry.get_job_count(cleanup=False),
            live_workers=live,
        )
        queues.append(state)
        pending = depth + len(taken) + state.started
        if queue.name == config.queue_name:
            pending = max(pending, articles.get("queued", 0) + articles.get("processing", 0))
        if live == 0:
            if pending:
                stalled = True
                reasons.append(f"{queue.name}: {pending} job(s) waiting and no live worker")
            else:
                reasons.append(f"{queue.name}: no live worker")
        elif state.oldest_age_seconds is not None and state.oldest_age_seconds > config.stall_after:
            reasons.append(f"{queue.name}: oldest job has waited {state.oldest_age_seconds:.0f} s "
                           f"(more than {config.stall_after} s)")
    for worker in workers:
        if not worker.live:
            age = "never" if worker.heartbeat_age_seconds is None else f"{worker.heartbeat_age_seconds:.0f} s ago"
            reasons.append(f"worker {worker.name}: last heartbeat {age}")
    verdict = "stalled" if stalled else "degraded" if reasons else "ok"
    return PipelineStatus(verdict=verdict, reasons=reasons, stall_after=config.stall_after,
                          checked_at=format_time(now), queues=queues, workers=workers, articles=articles)
