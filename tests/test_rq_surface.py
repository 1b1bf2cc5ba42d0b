"""The RQ internals workers/worker.py relies on, checked against the installed RQ.

`ClaimtrackWorker` hands several jobs to one long-lived work horse. RQ has no public API
for that, so the worker sets three private attributes (`Worker._horse_pid`,
`Worker._is_horse`, `Execution._job`) and overrides or calls the methods of RQ's forking
worker listed below. pyproject.toml pins RQ exactly for that reason; these tests fail when
an RQ upgrade (or a loosened pin) changes that surface, before a worker misbehaves in
production.
"""
from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

import rq
from rq import Worker
from rq.executions import Execution
from rq.serializers import JSONSerializer

ROOT = Path(__file__).resolve().parent.parent


def pinned(name: str, text: str) -> str | None:
    match = re.search(rf'"{name}==([0-9][^"]*)"', text)
    return match.group(1) if match else None


def test_rq_is_pinned_exactly_in_pyproject_and_constraints():
    in_pyproject = pinned("rq", (ROOT / "pyproject.toml").read_text())
    assert in_pyproject is not None, "pyproject.toml must pin rq with ==: workers/worker.py uses its internals"
    constraints = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().split()
                       if "==" in line)
    assert constraints.get("rq") == in_pyproject
    assert version("rq") == rq.__version__ == in_pyproject


def test_the_private_attributes_the_worker_sets_back_rq_s_public_properties(store):
    redis = store.raw  # the queue Redis, as a worker's (on a cluster the store is not RQ's)
    worker = Worker(["surface"], connection=redis, serializer=JSONSerializer)
    assert worker._horse_pid == worker.horse_pid == 0
    worker._horse_pid = 4321
    assert worker.horse_pid == 4321, "Worker.horse_pid no longer reads _horse_pid"
    assert worker._is_horse is False and worker.is_horse is False
    worker._is_horse = True
    assert worker.is_horse is True, "Worker.is_horse no longer reads _is_horse"

    execution = Execution("exec-id", "job-id", connection=redis)
    assert execution._job is None
    marker = object()
    execution._job = marker
    assert execution.job is marker, "Execution.job no longer returns the job set in _job"


def test_the_worker_methods_claimtrack_overrides_or_calls_keep_their_signatures():
    expected = {
        "execute_job": ["self", "job", "queue"],
        "prepare_execution": ["self", "job"],
        "monitor_work_horse": ["self", "job", "queue", "execution"],
        "perform_job": ["self", "job", "queue", "execution"],
        "wait_for_horse": ["self"],
        "handle_work_horse_killed": ["self", "job", "retpid", "ret_val", "rusage"],
        "get_heartbeat_ttl": ["self", "job", "working_time"],
        "setup_work_horse_signals": ["self"],
        "run_maintenance_tasks": ["self"],
        "teardown": ["self"],
        "procline": ["self", "message"],
        "set_state": ["self", "state", "pipeline"],
        "check_for_suspension": ["self", "burst"],
        # workers/worker.py replaces _start_scheduler to start outage.OutageTolerantScheduler.
        "_start_scheduler": ["self", "burst", "logging_level", "date_format", "log_format"],
    }
    for name, params in expected.items():
        method = getattr(Worker, name, None)
        assert method is not None, f"rq.Worker.{name} is gone"
        assert list(inspect.signature(method).parameters) == params, name
    # The horse loop relies on monitor_work_horse waiting through wait_for_horse and on
    # perform_job reading the current execution from the worker.
    assert "self.wait_for_horse()" in inspect.getsource(Worker.monitor_work_horse)
    assert "execution" in inspect.signature(Worker.perform_job).parameters


def test_the_scheduler_surface_the_outage_tolerant_scheduler_relies_on():
    """workers/outage.py subclasses RQScheduler and workers/worker.py drives it as RQ's own
    `_start_scheduler` does; the worker also lowers RQ's `max_connection_wait_time`."""
    from rq.scheduler import RQScheduler

    assert Worker.max_connection_wait_time > 0
    assert list(inspect.signature(RQScheduler.__init__).parameters) == [
        "self", "queues", "connection", "interval", "logging_level", "date_format", "log_format", "serializer",
        "name"]
    for name in ("register_birth", "enqueue_scheduled_jobs", "release_locks", "register_death", "start", "work"):
        assert list(inspect.signature(getattr(RQScheduler, name)).parameters) == ["self"], name
    assert list(inspect.signature(RQScheduler.acquire_locks).parameters) == ["self", "auto_start"]
    source = inspect.getsource(Worker._start_scheduler)
    for call in ("acquire_locks", "acquired_locks", "register_birth", "enqueue_scheduled_jobs", "start"):
        assert call in source, call
