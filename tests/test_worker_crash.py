"""Real worker processes killed with SIGKILL in the middle of a job: the article still ends
`done`, and its claims are stored exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import headers
from service.store import Keys
from service.store.records import unpack_claim
from workers import model
from workers.extraction import extract_claims

ROOT = Path(__file__).resolve().parent.parent
NAMES = [("Maria Okafor", "Okafor", "governor", "Lakeshore"), ("Tom Becker", "Becker", "mayor", "Dover"),
         ("Priya Raman", "Raman", "chief executive", "Lumen Energy"), ("Ana Silva", "Silva", "minister", "Porto")]


def long_article(paragraphs: int = 200) -> str:
    """About 28,000 characters: seconds of extraction, a wide window to kill in."""
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


def start_worker(redis_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": redis_url, "CLAIMTRACK_JOB_HEARTBEAT": "1",
           "CLAIMTRACK_MAINTENANCE_INTERVAL": "1", "LOG_LEVEL": "WARNING"}
    # A session of its own, so that killing the worker's group also kills its scheduler process.
    return subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env, start_new_session=True)


def stop(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown, then make sure nothing of the worker's group is left behind."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for(condition, what: str, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def status(client, aid: str) -> str:
    return client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"]


def horse_of(worker: subprocess.Popen[bytes]) -> int:
    return wait_for(lambda: next(iter(work_horses(worker.pid)), None), "the work horse")


@pytest.fixture(scope="module")
def expected_claims() -> int:
    """What one uninterrupted extraction of the long article finds."""
    return len(extract_claims(long_article(), model.preload(None)))


def assert_claims_stored_once(client, redis, aid: str, expected: int) -> None:
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done", article
    ids = redis.zrange(Keys.article_claims(aid), 0, -1)
    assert article["claim_count"] == len(ids) == expected > 0
    assert redis.hget(Keys.article(aid), "attempts") == "2", "the job did not run twice"
    stored = [unpack_claim(cid, redis.get(Keys.claim(cid))) for cid in ids]
    spans = [(claim["start"], claim["end"]) for claim in stored]
    assert len(set(spans)) == len(spans)
    assert redis.zcard(Keys.claims) == len(ids)


@pytest.fixture
def crash_config(config):
    return config.replace(job_retries=2, retry_intervals=(0,))


@pytest.fixture
def crash_client(crash_config):
    from service import create_app

    return create_app(crash_config).test_client()


def test_a_killed_work_horse_is_retried_by_its_surviving_worker(crash_client, crash_config, redis, expected_claims):
    worker = start_worker(crash_config.redis_url)
    try:
        text = long_article()
        aid = crash_client.post("/v1/articles", json={"text": text}, headers=headers("ingest")).json["id"]
        wait_for(lambda: status(crash_client, aid) == "processing", "the job to start")
        os.kill(horse_of(worker), signal.SIGKILL)
        wait_for(lambda: status(crash_client, aid) == "done", "the retried job to finish")
        assert worker.poll() is None, "the worker died with its work horse"
        assert_claims_stored_once(crash_client, redis, aid, expected_claims)
    finally:
        stop(worker)


def test_a_killed_worker_s_article_is_finished_by_another_worker(crash_client, crash_config, redis, expected_claims):
    first = start_worker(crash_config.redis_url)
    second = None
    try:
        text = long_article()
        aid = crash_client.post("/v1/articles", json={"text": text}, headers=headers("ingest")).json["id"]
        wait_for(lambda: status(crash_client, aid) == "processing", "the job to start")
        horse = horse_of(first)
        os.killpg(first.pid, signal.SIGKILL)
        os.kill(horse, signal.SIGKILL)
        first.wait()
        second = start_worker(crash_config.redis_url)
        wait_for(lambda: status(crash_client, aid) == "done", "another worker to finish the article")
        assert_claims_stored_once(crash_client, redis, aid, expected_claims)
    finally:
        for process in (first, second):
            if process is not None:
                stop(process)
