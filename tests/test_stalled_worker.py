"""A frozen worker is visible: with the only worker stopped (SIGSTOP), a posted article makes
`/v1/status` say `stalled` and the worker's health check fail; after SIGCONT the article is
processed and the status is `ok` again.

Real processes, and no assumption about the machine's speed: each step polls the state it
waits for, with a generous deadline, and the assertions are about states, never durations.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import headers, stop_worker, store_env
from service import create_app

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 180.0


def wait_for(condition: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def stall_config(config):
    # Heartbeats every second; a worker silent for 3 s is not live.
    return config.replace(stall_after=3, maintenance_interval=1, job_heartbeat=1)


def worker_env(config) -> dict[str, str]:
    return {**os.environ, **store_env(config), "CLAIMTRACK_JOB_HEARTBEAT": "1",
            "CLAIMTRACK_MAINTENANCE_INTERVAL": "1", "CLAIMTRACK_STALL_AFTER": "3", "LOG_LEVEL": "WARNING"}


def test_a_stopped_worker_turns_the_status_stalled_and_back(stall_config) -> None:
    client = create_app(stall_config).test_client()

    def status() -> dict[str, Any]:
        response = client.get("/v1/status", headers=headers("admin"))
        assert response.status_code == 200
        return response.json

    def check() -> int:
        return subprocess.run([sys.executable, "-m", "workers.worker", "--check"], cwd=ROOT,
                              env=worker_env(stall_config), capture_output=True, timeout=120).returncode

    # A session of its own: SIGSTOP reaches the worker and its scheduler process together.
    worker = subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=worker_env(stall_config),
                              start_new_session=True)
    try:
        wait_for(lambda: status()["verdict"] == "ok", "the worker to be live")
        assert check() == 0

        os.killpg(worker.pid, signal.SIGSTOP)
        response = client.post("/v1/articles", json={"text": '"We will win," said Maria Okafor.'},
                               headers=headers("ingest"))
        assert response.status_code == 202
        aid = response.json["id"]

        stalled = wait_for(lambda: (s := status())["verdict"] == "stalled" and s, "the status to say stalled")
        assert any("no live worker" in reason for reason in stalled["reasons"])
        (frozen,) = stalled["workers"]
        assert frozen["live"] is False and frozen["heartbeat_age_seconds"] > 3
        assert stalled["articles"]["queued"] == 1
        assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"] == "queued"
        assert check() == 1

        os.killpg(worker.pid, signal.SIGCONT)
        wait_for(lambda: client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"] == "done",
                 "the resumed worker to process the article")
        recovered = wait_for(lambda: (s := status())["verdict"] == "ok" and s, "the status to be ok again")
        assert recovered["workers"][0]["live"] is True
        assert recovered["articles"] == {"queued": 0, "processing": 0, "done": 1, "failed": 0}
        assert check() == 0
    finally:
        stop_worker(worker)
