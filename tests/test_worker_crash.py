"""Real worker processes killed with SIGKILL in the middle of a job: the article still ends
`done`, and its claims are stored exactly once.

Nothing here depends on the machine's speed: the job (tests/crash_jobs.py) is the real
extraction behind a gate, so each kill lands while a run is known to be in progress, and
each run goes on only when the test says so.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Retry
from rq.scheduler import RQScheduler

import crash_jobs
from crash_jobs import open_gate, run_count, started_key
from helpers import headers, stop_worker, store_env, stored_claim_count, wait_for
from service.queue import extraction_queue
from service.store import Keys
from service.store.records import unpack_claim
from workers import model
from workers.extraction import extract_claims

ROOT = Path(__file__).resolve().parent.parent
NAMES = [("Maria Okafor", "Okafor", "governor", "Lakeshore"), ("Tom Becker", "Becker", "mayor", "Dover"),
         ("Priya Raman", "Raman", "chief executive", "Lumen Energy"), ("Ana Silva", "Silva", "minister", "Porto")]


def long_article(paragraphs: int = 40) -> str:
    parts = []
    for i in range(paragraphs):
        name, last, role, place = NAMES[i % len(NAMES)]
        parts.append(f'"The plan number {i} is ready for a vote," said {name}, the {role} of {place}. '
                     f"{last} said that it would cost {i + 3} million dollars.\n\n")
    return "".join(parts)


def work_horses(pid: int) -> list[int]:
    """Children of `pid` that lead their own process group: RQ's work horse does (setpgrp),
    the scheduler process the worker also forks does not."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ppid, pgrp = int(fields[1]), int(fields[2])
            if ppid == pid and pgrp == int(entry.name):
                found.append(int(entry.name))
    return found


def start_worker(config, **settings: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **store_env(config), "CLAIMTRACK_JOB_HEARTBEAT": "1",
           "CLAIMTRACK_MAINTENANCE_INTERVAL": "1", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]), **settings}
    # A session of its own, so that killing the worker's group also kills its scheduler process.
    return subprocess.Popen([sys.executable, "-m", "workers.worker", "--serve", "extraction"], cwd=ROOT, env=env,
                            start_new_session=True)


def status(client, aid: str) -> str:
    return client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"]


def post_gated(store, config, text: str, back_off: int = 0) -> str:
    """An article whose job is the gated extraction (two retries, `back_off` seconds apart)."""
    return crash_jobs.post_gated(store, extraction_queue(store.raw, config), text, Retry(max=2, interval=[back_off]))


@pytest.fixture(scope="module")
def expected_claims() -> int:
    """What one uninterrupted extraction of the long article finds."""
    return len(extract_claims(long_article(), model.preload(None)))


def assert_claims_stored_once(client, redis, queue_redis, aid: str, expected: int) -> None:
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done", article
    ids = redis.zrange(Keys.article_claims(aid), 0, -1)
    assert article["claim_count"] == len(ids) == expected > 0
    assert run_count(queue_redis, aid) == 2, "the job did not run twice"
    stored = [unpack_claim(cid, redis.get(Keys.claim(cid))) for cid in ids]
    spans = [(claim["start"], claim["end"]) for claim in stored]
    assert len(set(spans)) == len(spans)
    assert stored_claim_count(redis) == len(ids)


def test_a_killed_work_horse_is_retried_by_its_surviving_worker(client, store, config, redis, queue_redis, expected_claims):
    worker = start_worker(config)
    try:
        aid = post_gated(store, config, long_article())
        wait_for(lambda: run_count(queue_redis, aid) == 1, "the first run")
        horse = int(queue_redis.lindex(started_key(aid), 0))
        assert horse in work_horses(worker.pid)
        os.kill(horse, signal.SIGKILL)
        wait_for(lambda: run_count(queue_redis, aid) == 2, "the retry")
        open_gate(queue_redis, aid, 2)
        wait_for(lambda: status(client, aid) == "done", "the retried job to finish")
        assert worker.poll() is None, "the worker died with its work horse"
        assert_claims_stored_once(client, redis, queue_redis, aid, expected_claims)
    finally:
        stop_worker(worker)


def test_a_killed_worker_s_article_is_finished_by_another_worker(client, store, config, redis, queue_redis, expected_claims):
    first = start_worker(config)
    second = None
    try:
        aid = post_gated(store, config, long_article())
        wait_for(lambda: run_count(queue_redis, aid) == 1, "the first run")
        horse = int(queue_redis.lindex(started_key(aid), 0))
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        wait_for(lambda: not os.path.exists(f"/proc/{horse}"), "the horse to die with its worker", timeout=10)
        second = start_worker(config)
        wait_for(lambda: run_count(queue_redis, aid) == 2, "another worker to run the job again")
        open_gate(queue_redis, aid, 2)
        wait_for(lambda: status(client, aid) == "done", "another worker to finish the article")
        assert_claims_stored_once(client, redis, queue_redis, aid, expected_claims)
    finally:
        for process in (first, second):
            if process is not None:
                stop_worker(process)


@pytest.mark.parametrize("lock", ["scheduler", "cleaner"])
def test_a_killed_worker_s_article_is_finished_when_rq_s_recovery_died_with_it(
        client, store, config, redis, queue_redis, expected_claims, lock):
    """RQ's recovery of a dead worker's job runs in one process at a time, behind a lock the
    dead worker may hold: its scheduler's lock (which alone queues a retry with a back-off,
    as the service's retries have) outlives it by a minute, and its registry-cleaning lock
    (which alone retries a job whose heartbeats stopped) by 15 minutes if it died while
    cleaning. Here the lock is made to outlive the test, so the article is finished only if
    reconciliation does not wait for that recovery."""
    queue = extraction_queue(store.raw, config)
    first = start_worker(config)
    second = None
    try:
        aid = post_gated(store, config, long_article(), back_off=5)
        lost = redis.hget(Keys.article(aid), "job")
        assert lost
        wait_for(lambda: run_count(queue_redis, aid) == 1, "the first run")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        if lock == "scheduler":
            assert queue_redis.expire(RQScheduler.get_locking_key(queue.name), 3600), "the dead worker held the lock"
        else:
            queue_redis.set(queue.registry_cleaning_key, "1", ex=3600)
        second = start_worker(config, CLAIMTRACK_RECONCILE_AFTER="2")
        wait_for(lambda: status(client, aid) == "done", "the article to be finished")
        assert redis.hget(Keys.article(aid), "job") != lost, "reconciliation queued it again"
        assert run_count(queue_redis, aid) == 1, "the lost job itself never ran again"
        article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
        assert article["claim_count"] == redis.zcard(Keys.article_claims(aid)) == expected_claims
        assert stored_claim_count(redis) == expected_claims
    finally:
        for process in (first, second):
            if process is not None:
                stop_worker(process)
