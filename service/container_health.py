"""The container image's HEALTHCHECK: ``python -m service.container_health``.

One image runs the API and the workers, so the check asks what the container runs (its
process 1's command line) and checks that: a worker with ``claimtrack-worker --check``, the
API with ``GET /healthz`` on its own port. A worker container is thus never judged by an HTTP
port it does not have.
"""
from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def runs_worker(cmdline: str) -> bool:
    return "claimtrack-worker" in cmdline or "workers.worker" in cmdline


def main() -> int:
    cmdline = Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    if runs_worker(cmdline):
        from workers.worker import main as worker_main

        worker_main(["--check"])  # exits 0 or 1
        return 1
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
