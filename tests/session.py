"""`make run`'s script (scripts/run.sh) as a real process tree, for the supervision tests:
gunicorn, RQ worker pools, their workers and horses, against the tests' Redis."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from helpers import API_KEYS, KEY, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
#: The virtual environment running the tests (scripts/run.sh takes gunicorn and python from it).
_HERE = Path(sys.executable).parent.parent
VENV = _HERE if (_HERE / "bin" / "gunicorn").exists() else None


def children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Session:
    """scripts/run.sh in a session of its own, on a free port."""

    def __init__(self, redis_url: str | None, **settings: str) -> None:
        """`redis_url` None: REDIS_URL unset, so that the script starts its private Redis."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "REDIS_URL": redis_url, "PORT": str(self.port), "CLAIMTRACK_API_KEYS": API_KEYS,
            "CLAIMTRACK_RATE_LIMIT": "off", "CLAIMTRACK_JOB_HEARTBEAT": "1", "CLAIMTRACK_MAINTENANCE_INTERVAL": "1",
            "LOG_LEVEL": "WARNING", "WORKERS": "1", "WEBHOOK_WORKERS": "1", **settings,
        }
        if redis_url is None:
            del self.env["REDIS_URL"]
        if VENV is not None:
            self.env["VENV"] = str(VENV)
        self.process: subprocess.Popen[bytes] | None = None
        #: Where the script's output goes (None: the test's own output).
        self.stdout: Any = None

    def __enter__(self) -> "Session":
        self.process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=self.env, start_new_session=True,
                                        stdout=self.stdout)
        wait_for(lambda: self.get("/healthz", timeout=1)[0] == 200, "the API to answer")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                pass
        self.kill_leftovers()

    def kill_leftovers(self) -> None:
        """Whatever is left of the tree after a failed test (each service has its own session)."""
        if self.process is None:
            return
        for pid in self.tree(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C's stand-in; returns the script's exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)

    def tree(self, pid: int) -> list[int]:
        found = []
        for child in children(pid):
            found += [child, *self.tree(child)]
        return found

    def pool(self, role: str) -> int:
        """The worker pool process serving `role` (extraction or webhooks)."""
        assert self.process is not None
        return wait_for(lambda: next((p for p in children(self.process.pid)
                                      if f"--serve {role}" in cmdline(p) and alive(p)), None), f"the {role} pool")

    def worker(self, role: str) -> int:
        """A live worker of the `role` pool."""
        pool = self.pool(role)
        return wait_for(lambda: next((p for p in children(pool) if alive(p)), None), f"a {role} worker")

    # -- HTTP -------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, who: str = "admin",
                timeout: float = 10) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"X-API-Key": KEY[who], "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as failure:
            return failure.code, None
        except (urllib.error.URLError, OSError):
            return 0, None

    def get(self, path: str, timeout: float = 10) -> tuple[int, Any]:
        return self.request("GET", path, who="read", timeout=timeout)

    def post_article(self, text: str) -> str | None:
        status, body = self.request("POST", "/v1/articles", {"text": text}, who="ingest")
        return body["id"] if status == 202 else None

    def status(self, aid: str) -> str | None:
        code, body = self.get(f"/v1/articles/{aid}")
        return body["status"] if code == 200 else None
