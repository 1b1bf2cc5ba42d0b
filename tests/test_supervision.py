"""`make run` under a killed worker: real processes (scripts/run.sh, gunicorn, RQ's worker
pool), real SIGKILLs. Nothing acknowledged is lost, the API answers throughout, and only
SIGTERM/Ctrl-C ends the session, with exit status 0.

The kill lands while the worker runs a job: one article's job is the real extraction behind
a gate (tests/crash_jobs.py) that stays closed, so the test does not depend on whether the
machine happens to be between jobs at the moment of the kill."""
from __future__ import annotations

import os
import signal
import threading
import time

from crash_jobs import open_gate, post_gated, run_count
from helpers import store_env
from service.config import Config
from service.queue import extraction_queue, extraction_retry, job_timeout
from session import ROOT, Session, alive, children, wait_for

RECONCILE_AFTER = 4
JOB_TIMEOUT = 10


def bounds(config: Config, chars: int) -> tuple[float, float]:
    """The documented bounds for the session's settings, after which an article is done:
    a lost job is queued again within RECONCILE_AFTER + MAINTENANCE_INTERVAL of when its
    article was last queued or started; the running job of a killed worker has its retry
    scheduled within 3 heartbeats and a maintenance pass, and the retry is queued by
    reconciliation at the latest RECONCILE_AFTER + MAINTENANCE_INTERVAL after its back-off
    (the dead worker's scheduler holds the scheduler lock); then each gets its time budget.
    Returns (lost, killed) in seconds, for articles of up to `chars` characters."""
    lost = config.reconcile_after + config.maintenance_interval + job_timeout(config, chars)
    back_off = extraction_retry(config).intervals[0]
    return lost, 3 * config.job_heartbeat + config.maintenance_interval + back_off + lost


#: Every article here is shorter than this, so each has the same time budget.
ARTICLE_CHARS = 1000


def article(i: int) -> str:
    return f'"Plan {i} is ready for a vote," said Maria Okafor, the governor of Lakeshore.\n'


def test_a_killed_worker_is_replaced_and_every_acknowledged_article_is_done(redis, queue_redis, store, config):
    with Session(config.redis_url, **store_env(config), CLAIMTRACK_RECONCILE_AFTER=str(RECONCILE_AFTER),
                 CLAIMTRACK_JOB_TIMEOUT=str(JOB_TIMEOUT), PYTHONPATH=str(ROOT / "tests")) as session:
        worker = session.worker("extraction")
        # The worker has forked its helpers (work horse on the first job, RQ's scheduler).
        first = session.post_article(article(0))
        assert first is not None
        wait_for(lambda: session.status(first) == "done", "the first article")
        helpers = wait_for(lambda: [p for p in children(worker) if alive(p)], "the worker's child processes")
        # The session's own settings: its retries (the service's defaults) and time budget.
        settings = Config.from_env(session.env)
        held = post_gated(store, extraction_queue(store.raw, config), article(-1), extraction_retry(settings),
                          timeout=job_timeout(settings, ARTICLE_CHARS))
        wait_for(lambda: run_count(queue_redis, held) == 1, "the held job to be running")
        # Any later run of the held job goes through: the killed run's gate alone stays shut.
        open_gate(queue_redis, held, 2)

        acknowledged: list[str] = [first]
        health_failures: list[int] = []
        stop = threading.Event()

        def post_continuously() -> None:
            i = 1
            while not stop.is_set():
                aid = session.post_article(article(i))
                assert aid is not None, "the API refused an article"
                acknowledged.append(aid)
                i += 1
                # A few articles a second: the point is articles arriving around the kill,
                # not a backlog whose draining time would depend on the machine's speed.
                time.sleep(0.2)

        def check_health() -> None:
            while not stop.is_set():
                code, _ = session.get("/healthz", timeout=5)
                if code != 200:
                    health_failures.append(code)
                time.sleep(0.05)

        threads = [threading.Thread(target=post_continuously), threading.Thread(target=check_health)]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: len(acknowledged) >= 10, "articles to arrive")
            os.kill(worker, signal.SIGKILL)
            killed_at = time.monotonic()
            # No helper of the dead worker lives on holding its connections.
            wait_for(lambda: not any(alive(p) for p in helpers), "the dead worker's child processes to exit",
                     timeout=10)
            replacement = wait_for(lambda: next((p for p in children(session.pool("extraction"))
                                                 if p != worker and alive(p)), None), "a new worker")
            count = len(acknowledged)
            wait_for(lambda: len(acknowledged) >= count + 5, "more articles after the restart")
        finally:
            stop.set()
            for thread in threads:
                thread.join()

        lost, killed = bounds(settings, ARTICLE_CHARS)
        deadline = max(killed_at + killed, time.monotonic() + lost)
        for aid in [held, *acknowledged]:
            wait_for(lambda: session.status(aid) == "done", f"article {aid} to be done within the bound",
                     timeout=max(0.1, deadline - time.monotonic()))
        assert health_failures == [], "the API stopped answering while a worker was replaced"
        assert alive(replacement)
        assert session.process.poll() is None, "the session ended when a worker died"
        for aid in [held, *acknowledged]:
            assert redis.hget(f"ct:article:{aid}", "claim_count") == "1", aid
        assert session.stop() == 0


def test_only_sigterm_ends_the_session_and_every_service_is_restarted(redis, config):
    with Session(config.redis_url, **store_env(config)) as session:
        pool = session.pool("webhooks")
        os.kill(pool, signal.SIGKILL)
        wait_for(lambda: session.pool("webhooks") != pool, "a new webhook pool")
        wait_for(lambda: session.get("/healthz")[0] == 200, "the API")
        assert session.process.poll() is None
        tree = session.tree(session.process.pid)
        assert len(tree) >= 6, "API, two pools, their workers and the API's workers"
        assert session.stop() == 0
        assert [p for p in tree if alive(p)] == [], "a process of the session outlived it"
