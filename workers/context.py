"""The repositories and configuration of the worker running the current job.

RQ calls a job function with the job's arguments only. The worker that performs the job
(`ClaimtrackWorker.perform_job`) sets its own `Repositories` and `Config` here for the job's
duration, exactly as RQ sets the job that `rq.get_current_job` returns; a job and its
callbacks read them with `repositories()` and `config()`. Nothing is built here: outside a
job there is nothing to read.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from service.config import Config
from service.store import Repositories

_current: ContextVar[tuple[Repositories, Config]] = ContextVar("claimtrack_worker")


@contextmanager
def running_with(repos: Repositories, settings: Config) -> Iterator[None]:
    """Make `repos` and `settings` the current job's until the block ends."""
    token = _current.set((repos, settings))
    try:
        yield
    finally:
        _current.reset(token)


def repositories() -> Repositories:
    """The repositories the worker running this job handed it."""
    return _worker()[0]


def config() -> Config:
    """The configuration of the worker running this job."""
    return _worker()[1]


def _worker() -> tuple[Repositories, Config]:
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("Claimtrack jobs run in a ClaimtrackWorker (workers.worker.build_worker), "
                           "which hands them its repositories") from None
