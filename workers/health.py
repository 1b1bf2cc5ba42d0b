"""``claimtrack-worker --check``: the health check of a worker container (exit 0 or 1).

Healthy means: Redis answers, and a worker of this host (same hostname, as in one container)
is registered and live, i.e. beat within CLAIMTRACK_STALL_AFTER seconds. A worker that was
frozen (SIGSTOP), is stuck outside a job, or never started fails the check, so the
orchestrator restarts it; a worker busy with a long job keeps beating and passes.
"""
from __future__ import annotations

import socket

from redis.exceptions import RedisError
from rq import Queue

from service.config import Config
from service.pipeline import queues_of, read_workers
from service.store import Repositories


def check(config: Config, hostname: str | None = None) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    hostname = hostname or socket.gethostname()
    repos = Repositories.from_config(config, socket_timeout=3.0)
    try:
        workers = [w for w in read_workers(repos, config.stall_after) if w.hostname == hostname]
    except RedisError as error:
        return False, f"Redis does not answer: {type(error).__name__}"
    finally:
        repos.close()
    live = [w for w in workers if w.live]
    if live:
        return True, f"{len(live)} live worker(s) on {hostname}: " + ", ".join(w.name for w in live)
    if workers:
        ages = ", ".join(f"{w.name} beat {w.heartbeat_age_seconds} s ago" for w in workers)
        return False, f"no live worker on {hostname} ({ages}; bound {config.stall_after} s)"
    return False, f"no worker registered on {hostname}"


def register_queues(repos: Repositories, config: Config) -> None:
    """List every Claimtrack queue in RQ's set of queues, so that ``rq info`` and rq-dashboard
    show the webhook queue before its first delivery (RQ adds a queue when a job is first
    enqueued to it)."""
    repos.raw.sadd(Queue.redis_queues_keys, *(queue.key for queue in queues_of(repos, config)))
