"""A worker through a Redis outage (issue 20, item 5): with its Redis frozen (SIGSTOP) and then
gone (killed, restarted on the same port and data), an idle extraction worker waits and
retries, then processes the next article; the outage is in its log as warning lines, at most one
per interval for the worker and one for its scheduler, never as a traceback.

Nothing here depends on the machine's speed: every wait is for a condition (with a generous
deadline), and the bound on the log lines follows from the outage's measured length."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis

from helpers import API_KEYS, RedisServer, headers, stop_worker, wait_for
from service import create_app
from service.config import Config

ROOT = Path(__file__).resolve().parent.parent
#: The worker's maintenance interval: its outage lines are at most one per this many seconds.
INTERVAL = 1
#: How long each outage lasts: several intervals, so that a per-attempt log would show.
OUTAGE = 4.0


def until_back(condition, what: str):
    """`wait_for`, with an error from a Redis still coming back taken as not yet."""
    return wait_for(condition, what, interval=0.1, tolerate=(Exception,))


@pytest.fixture
def durable_redis(tmp_path):
    server = RedisServer(tmp_path, durable=True)
    server.start()
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


def test_a_worker_waits_out_a_frozen_and_a_lost_redis_and_logs_it_without_tracebacks(durable_redis, tmp_path):
    app = create_app(Config(redis_url=durable_redis.url, api_keys=API_KEYS, rate_limit="", auth_failure_limit=""))
    client = app.test_client()
    redis = Redis.from_url(durable_redis.url, decode_responses=True, socket_timeout=2)
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "REDIS_URL": durable_redis.url, "CLAIMTRACK_MAINTENANCE_INTERVAL": str(INTERVAL),
           "CLAIMTRACK_JOB_HEARTBEAT": "1", "CLAIMTRACK_REDIS_TIMEOUT": "1", "LOG_LEVEL": "WARNING"}
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "workers.worker", "--serve", "extraction"], cwd=ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Ready: registered with RQ and its scheduler running (after the model has loaded).
        until_back(lambda: redis.scard("rq:workers") and redis.exists("rq:scheduler-lock:claimtrack"),
                 "the worker to start")
        started = time.monotonic()
        assert durable_redis.process is not None
        os.kill(durable_redis.process.pid, signal.SIGSTOP)
        time.sleep(OUTAGE)
        os.kill(durable_redis.process.pid, signal.SIGCONT)
        durable_redis.kill()
        time.sleep(OUTAGE)
        durable_redis.start()  # same port, same append-only file
        posted = until_back(lambda: client.post("/v1/articles", headers=headers("ingest"), json={
            "text": '"We will reopen the ferry terminal next spring," Maria Okafor said on Monday.'}),
            "the API to answer again")
        assert posted.status_code == 202, posted.json
        aid = posted.json["id"]
        until_back(lambda: client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"] == "done",
                 "the worker to process an article after the outage")
        elapsed = time.monotonic() - started
        assert worker.poll() is None, "the worker is still running"
        claims = client.get(f"/v1/articles/{aid}/claims", headers=headers("read")).json["items"]
        assert [c["speaker"]["name"] for c in claims] == ["Maria Okafor"]
    finally:
        stop_worker(worker)
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    outage_lines = [line for line in output.splitlines() if "redis unavailable" in line]
    assert outage_lines, "the outage is reported"
    assert all('"level": "warning"' in line for line in outage_lines)
    assert "could not connect to Redis" not in output, "RQ's per-attempt lines are folded"
    # One line per interval for the worker and one for its scheduler, over the outage and the
    # recovery that followed it, at most.
    assert len(outage_lines) <= 2 * (elapsed / INTERVAL + 2), (len(outage_lines), elapsed)
