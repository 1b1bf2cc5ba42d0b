"""Worker entry point: ``python -m workers.worker`` (or the ``claimtrack-worker`` script).

``--serve extraction`` serves article extraction, ``--serve webhooks`` webhook deliveries
(``all`` by default), so that a slow webhook receiver never delays an article. ``--pool N``
runs N such workers under RQ's `WorkerPool`, which starts a new worker when one dies;
`make run` runs one pool per queue.

It loads the spaCy model before the work loop (a pool, before forking its workers), so the
work horse (a child process that runs the jobs, which keeps a crashing article from taking
the worker down) starts with the model in memory, and it runs RQ's scheduler so that failed
jobs are retried after their back-off. Every process it forks dies with its parent and
drops its parent's sockets (`workers.lifecycle`). Each extraction worker's maintenance pass
also reconciles the articles' own records with RQ's queues (`service.queue.reconcile`).

RQ's own worker forks a new horse for every job. Here one horse runs up to
`ClaimtrackWorker.horse_max_jobs` jobs in a row before the worker replaces it with a fresh
fork: forking the model-sized worker, the copy-on-write faults that follow, the horse's
start-up and exit and its first Redis connections cost about 40 ms per job, a quarter of a
600-word article's extraction (bench/overhead.py measures it). Isolation is unchanged: a horse
that dies (signal, out of memory, crash in native code) fails only the job it was running,
and the next job gets a new horse.
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import select
import signal
import sys
import tempfile
from multiprocessing.process import BaseProcess
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker
from rq.executions import Execution
from rq.serializers import JSONSerializer
from rq.utils import now
from rq.worker import WorkerStatus
from rq.worker_pool import ForkProcess, WorkerPool

from service import logs
from service.config import Config
from service.queue import extraction_queue, reconcile
from service.store import Repositories
from service.store.events import DELIVER_JOB

from . import health, lifecycle, model
from . import metrics as job_metrics
from .context import running_with
from .jobs import record_failure, record_lost_delivery
from .outage import OutageTolerantScheduler, install_outage_log

#: What `--serve` accepts, and the queues (by role) each serves, extraction first.
SERVES = {"all": ("extraction", "webhooks"), "extraction": ("extraction",), "webhooks": ("webhooks",)}

log = logging.getLogger("claimtrack.worker")

#: The longest one Redis call of a job may take: a job on a frozen Redis fails (and is retried
#: by RQ once Redis is back) instead of holding its worker forever. Longer than a request's
#: CLAIMTRACK_REDIS_TIMEOUT, because a long article's save is one large transaction. RQ's own
#: client has no timeout: its blocking dequeue waits longer than that.
JOB_REDIS_TIMEOUT = 30.0


class ClaimtrackWorker(job_metrics.MeteredWorker, Worker):
    """RQ's forking worker, with a shorter dead-worker window and article bookkeeping.

    A running job's entry in RQ's started-job registry is kept alive by the worker's
    heartbeat; when the whole worker dies (SIGKILL, lost machine) the entry expires and the
    maintenance run of any other worker retries the job. RQ lets an entry outlive its last
    heartbeat by 60 s; here it is two heartbeat intervals, so with the defaults (10 s
    heartbeat, 30 s maintenance) a dead worker's article is queued again within about a
    minute (README, "Guarantees").

    A horse killed by a signal (out of memory, SIGKILL, a crash in native code) never
    reaches the job's failure callback, so the article's status is recorded here.
    """

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = max(1, int(min(job.timeout - working_time, interval)))
        return 3 * interval

    #: Jobs one work horse runs before the worker replaces it with a fresh fork of itself, so
    #: that whatever a horse accumulates (spaCy's string store grows with every new word) is
    #: dropped regularly.
    horse_max_jobs = 200

    _horse: "_Horse | None" = None
    #: The repositories `build_worker` made over the worker's connection; the jobs this
    #: worker performs get them through `workers.context` (`perform_job`).
    repos: Repositories | None = None
    #: The configuration `build_worker` made it with; its jobs read it through `workers.context`.
    config: Config | None = None
    #: Set by `build_worker` on a worker that serves the extraction queue: its maintenance
    #: pass reconciles articles with RQ's queues.
    reconciles: bool = False

    #: RQ backs off up to a minute between attempts to reach Redis; a worker resumes within
    #: this many seconds of Redis coming back instead (outage.py logs the attempts once per interval).
    max_connection_wait_time = 10.0

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO", date_format: str = "",
                         log_format: str = "") -> None:
        """RQ's `_start_scheduler`, with a scheduler that waits out a Redis outage
        (`outage.OutageTolerantScheduler`) rather than dying of it with a traceback."""
        self.scheduler = OutageTolerantScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            **({"date_format": date_format} if date_format else {}), **({"log_format": log_format} if log_format else {}),
            serializer=self.serializer)
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def check_for_suspension(self, burst: bool) -> None:
        """RQ's check for `rq suspend`, with a Redis that does not answer taken as "not
        suspended" (the dequeue that follows waits the outage out): RQ's work loop would quit
        on the error, as it would on the `set_state` below."""
        try:
            super().check_for_suspension(burst)
        except (RedisConnectionError, RedisTimeoutError):
            pass

    def set_state(self, state: str, pipeline: Any = None) -> None:
        """RQ's `set_state`, except that a Redis that does not answer leaves the state recorded
        in the worker only: RQ's dequeue marks the worker idle before the loop that waits out an
        outage, so the error would end the work loop and leave the worker gone for good once
        Redis is back. The state is written again at the next change."""
        if pipeline is not None:
            super().set_state(state, pipeline)
            return
        try:
            super().set_state(state)
        except (RedisConnectionError, RedisTimeoutError):
            self._state = state

    def run_maintenance_tasks(self) -> None:
        """RQ's maintenance (whose registry cleanup runs abandoned jobs' failure callbacks,
        with this worker's repositories), then reconciliation.

        A Redis that does not answer fails the pass, not the worker: RQ's work loop quits on
        any error its maintenance raises, which turned a Redis outage that began during a
        maintenance pass into a worker gone for good. The pass runs again next time round."""
        try:
            if self.repos is not None and self.config is not None:
                with running_with(self.repos, self.config):
                    super().run_maintenance_tasks()
            else:
                super().run_maintenance_tasks()
        except RedisError as failure:
            log.warning("maintenance failed: %s", failure)
            return
        if not self.reconciles or self.config is None or self.repos is None:
            return
        try:
            finished = self.repos.conn.finish_intents()
            if finished:
                log.warning("finished %d cross-slot transaction(s) a process had left half way", len(finished))
        except RedisError as failure:
            log.warning("finishing cross-slot transactions failed: %s", failure)
        try:
            indexed = self.repos.claims.index_pending(older_than=self.config.maintenance_interval)
            if indexed:
                log.warning("indexed the search words of %d article(s) a job had left pending", len(indexed))
        except RedisError as failure:
            log.warning("search indexing failed: %s", failure)
        try:
            requeued = reconcile(self.repos, extraction_queue(self.connection, self.config), self.config)
        except RedisError as failure:
            log.warning("reconciliation failed: %s", failure)
            return
        if requeued:
            log.warning("queued again %d article(s) whose job was lost: %s", len(requeued), " ".join(requeued))

    def execute_job(self, job: Any, queue: Any) -> None:
        """RQ's `Worker.execute_job`, with the job handed to a running horse instead of a
        new fork; RQ's `monitor_work_horse` watches it (heartbeats, timeout, death)."""
        execution = self.prepare_execution(job)
        horse = self._horse if self._horse is not None and self._horse.alive() else None
        message = (job.id, queue.name, execution.id, getattr(job, "redis_server_version", None))
        if horse is None or not horse.send(message):
            if horse is not None:
                horse.retire()
            horse = self._horse = _Horse.fork(self)
            if not horse.send(message):
                raise RuntimeError("a new work horse did not accept its job")
        self._horse_pid = horse.pid
        self.procline(f"Job {job.id} in horse {horse.pid}")
        try:
            self.monitor_work_horse(job, queue, execution)
        finally:
            if horse.dead or horse.jobs >= self.horse_max_jobs:
                horse.retire()
                self._horse = None
        self.set_state(WorkerStatus.IDLE)

    def wait_for_horse(self) -> tuple[int | None, int | None, Any]:
        if self._horse is None or self._horse.dead:
            return super().wait_for_horse()
        return self._horse.wait()

    def teardown(self) -> None:
        if not self.is_horse and self._horse is not None:
            self._horse.retire()
            self._horse = None
        super().teardown()

    def handle_work_horse_killed(self, job: Any, retpid: Any, ret_val: Any, rusage: Any) -> None:
        """Record a job whose horse died: an article's status, a delivery's attempt.

        A horse killed by RQ's monitor for running past its job's timeout failed for a
        reason that will recur: such a job is retried once at most.
        """
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        signum = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        reason = f"the worker process died (signal {signum})" if signum else f"the worker process exited ({ret_val})"
        started = job.started_at
        if job.timeout and job.timeout > 0 and started and (now() - started).total_seconds() > job.timeout:
            reason = f"timed out after {job.timeout} s; {reason}"
            job.retries_left = min(job.retries_left or 0, 1)
        assert self.repos is not None, "build_worker gives every worker its repositories"
        if job.func_name == DELIVER_JOB:
            record_lost_delivery(self.repos, job, reason)
        else:
            record_failure(self.repos, job, reason)

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        """RQ's `perform_job`, with this worker's repositories and configuration handed to the
        job and its callbacks (`workers.context`)."""
        assert self.repos is not None and self.config is not None, "build_worker made this worker"
        with running_with(self.repos, self.config):
            return super().perform_job(job, queue, execution)


class _Horse:
    """The worker's end of a work horse: a forked child, in a process group of its own (as
    RQ's horses are), reading job ids from one pipe and answering on another when each job
    is done. RQ's `perform_job` runs each job in it exactly as in a per-job horse."""

    def __init__(self, pid: int, commands: int, results: int) -> None:
        self.pid = pid
        self.commands = commands
        self.results = results
        self.jobs = 0
        self.dead = False

    @classmethod
    def fork(cls, worker: ClaimtrackWorker) -> "_Horse":
        commands_r, commands_w = os.pipe()
        results_r, results_w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the horse; it never returns into the worker's loop
            code = 1
            try:
                os.close(commands_w)
                os.close(results_r)
                os.setpgrp()
                _horse_main(worker, commands_r, results_w, parent)
                code = 0
            finally:
                os._exit(code)
        os.close(commands_r)
        os.close(results_w)
        return cls(pid, commands_w, results_r)

    def send(self, message: tuple[Any, ...]) -> bool:
        """Hand the horse a job; False when it can no longer take one."""
        try:
            os.write(self.commands, (json.dumps(message) + "\n").encode())
        except (BrokenPipeError, OSError):
            return False
        self.jobs += 1
        return True

    def alive(self) -> bool:
        if not self.dead:
            try:
                self.dead = os.waitpid(self.pid, os.WNOHANG)[0] != 0
            except ChildProcessError:
                self.dead = True
        return not self.dead

    def wait(self) -> tuple[int | None, int | None, Any]:
        """Block until the running job is done, returning ``(pid, 0, None)`` as if a per-job
        horse had exited cleanly, or until the horse dies, returning its wait4 status."""
        while True:
            readable, _, _ = select.select([self.results], [], [], 0.05)
            if readable and os.read(self.results, 64):
                return self.pid, 0, None
            try:
                pid, status, rusage = os.wait4(self.pid, 0 if readable else os.WNOHANG)
            except ChildProcessError:
                self.dead = True
                return None, None, None
            if pid:
                self.dead = True
                return pid, status, rusage

    def retire(self) -> None:
        """Stop the horse (it is between jobs, or dead) and reap it."""
        for fd in (self.commands, self.results):
            try:
                os.close(fd)
            except OSError:
                pass
        if not self.dead:
            try:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.dead = True


def _read_command(fd: int, parent: int) -> str | None:
    """The next command line, or None once the worker is gone (pipe closed, or re-parented:
    a copy of the pipe held by another child of the worker would keep EOF from coming)."""
    buffer = b""
    while not buffer.endswith(b"\n"):
        readable, _, _ = select.select([fd], [], [], 1.0)
        if not readable:
            if os.getppid() != parent:
                return None
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        buffer += chunk
    return buffer.decode()


def _horse_main(worker: ClaimtrackWorker, commands: int, results: int, parent: int) -> None:
    """The horse's loop: what RQ's `main_work_horse` does for one job, for each job sent."""
    random.seed()
    worker.setup_work_horse_signals()
    worker._is_horse = True
    worker.log = logging.getLogger("rq.worker")
    queues = {queue.name: queue for queue in worker.queues}
    while (line := _read_command(commands, parent)) is not None:
        job_id, queue_name, execution_id, server_version = json.loads(line)
        os.environ["RQ_WORKER_ID"] = worker.name
        os.environ["RQ_JOB_ID"] = job_id
        # Fetched again, as RQ's SpawnWorker does: the worker's copies live in its memory.
        job = worker.job_class.fetch(job_id, connection=worker.connection, serializer=worker.serializer)
        job.redis_server_version = tuple(server_version) if server_version else None
        execution = Execution.fetch(execution_id, job.id, connection=worker.connection)
        execution._job = job
        worker.execution = execution
        worker.perform_job(job, queues[queue_name], execution)
        os.write(results, b"done\n")


def build_worker(config: Config, name: str | None = None, serve: str = "all") -> ClaimtrackWorker:
    """A worker for article extraction and webhook deliveries (extraction first), or for
    one of them (`serve`: all, extraction or webhooks)."""
    repos = Repositories.from_config(config, socket_timeout=JOB_REDIS_TIMEOUT, raw_timeout=None)
    queues = build_queues(repos, config, serve)
    worker = ClaimtrackWorker(
        queues,
        connection=repos.raw,
        serializer=JSONSerializer,
        name=name,
        job_monitoring_interval=config.job_heartbeat,
        maintenance_interval=config.maintenance_interval,
        # An idle worker only runs maintenance when its blocking dequeue times out, which is
        # worker_ttl - 15 s; this makes that the maintenance interval.
        worker_ttl=config.maintenance_interval + 15,
    )
    worker.repos = repos
    install_outage_log(max(1.0, config.maintenance_interval))
    worker.metrics = job_metrics.JobMetrics()
    worker.config = config
    worker.reconciles = "extraction" in SERVES[serve]
    return worker


def _run_pool_worker(name: str, config: Config, serve: str) -> None:
    """A pool's worker process (forked from the pool, with the model already loaded)."""
    build_worker(config, name, serve).work(with_scheduler=True, logging_level=None)


class ClaimtrackPool(WorkerPool):
    """RQ's `WorkerPool`: keeps `num_workers` workers running, starting a new one when one
    dies, and stops them all (warm shutdown) on SIGINT or SIGTERM. Its workers are built by
    `build_worker`, with this service's settings, through the pool's `get_worker_process`."""

    def __init__(self, config: Config, serve: str, num_workers: int) -> None:
        repos = Repositories.from_config(config, socket_timeout=JOB_REDIS_TIMEOUT, raw_timeout=None)
        queues = [q.name for q in build_queues(repos, config, serve)]
        super().__init__(queues, connection=repos.raw, num_workers=num_workers, worker_class=ClaimtrackWorker,
                         serializer=JSONSerializer)
        self.config = config
        self.serve = serve

    def get_worker_process(self, name: str, burst: bool, _sleep: float = 0,
                           logging_level: str = "INFO") -> BaseProcess:
        return ForkProcess(target=_run_pool_worker, args=(name, self.config, self.serve),
                           name=f"claimtrack worker {name} ({self.serve})")


def build_queues(repos: Repositories, config: Config, serve: str) -> list[Queue]:
    """The queues a worker started with `--serve serve` works on, extraction first."""
    return [q for role, q in (("extraction", extraction_queue(repos.raw, config)), ("webhooks", repos.webhooks.delivery_queue))
            if role in SERVES[serve]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run Claimtrack workers.")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", help="worker name (default: RQ's)")
    parser.add_argument("--serve", choices=tuple(SERVES), default="all",
                        help="which queues to work on (default: both)")
    parser.add_argument("--pool", type=int, metavar="N", default=0,
                        help="run N workers under RQ's WorkerPool, which restarts any that dies")
    parser.add_argument("--check", action="store_true",
                        help="health check: exit 0 when a worker of this host is live, else 1")
    args = parser.parse_args(argv)
    if args.pool and (args.burst or args.name):
        parser.error("--pool runs long-lived workers of its own naming: no --burst or --name")

    config = Config.from_env()
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
    if args.check:
        healthy, reason = health.check(config)
        (log.info if healthy else log.error)(reason)
        sys.exit(0 if healthy else 1)
    lifecycle.bind_children_to_parent()
    if args.pool:
        # A pool started by `make run` stops (warmly) when the script that started it dies.
        lifecycle.die_with_parent(signal.SIGTERM)
    # Before prometheus-client is first imported (workers.metrics): the horses count into it.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="claimtrack-worker-metrics-"))
    if args.serve != "webhooks":  # deliveries need no model
        nlp = model.preload(config.spacy_model, config.attribution_model)
        log.info("model loaded", extra={"model": nlp.meta.get("name"), "version": nlp.meta.get("version")})
    # Everything allocated so far (mostly the model) lives as long as the process: keep the
    # collector from walking it, in the worker and in every horse forked from it, where each
    # walk would also copy the pages it touches.
    gc.collect()
    gc.freeze()
    if args.pool:
        # The pool's workers count into PROMETHEUS_MULTIPROC_DIR (the API's /metrics shows them
        # under `make run`); one metrics port per pool worker would collide, so none is served.
        health.register_queues(Repositories.from_config(config), config)
        ClaimtrackPool(config, args.serve, args.pool).start(logging_level=os.environ.get("LOG_LEVEL", "INFO"))
        return
    worker = build_worker(config, args.name, args.serve)
    health.register_queues(worker.repos, config)
    if config.metrics_port and worker.metrics is not None:
        job_metrics.serve(worker.metrics, config.metrics_port, config.metrics_addr)
    worker.work(burst=args.burst, with_scheduler=True, logging_level=None)


if __name__ == "__main__":
    main()
