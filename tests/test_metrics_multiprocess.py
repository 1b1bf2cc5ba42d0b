"""prometheus-client's multiprocess mode as the service sets it up: counts made in a forked
child (a work horse, a gunicorn worker) land in the child's own file and a scrape sums them,
with the cached process id (`service.metrics.use_cached_pid`) kept right across fork()."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import os, sys
    from prometheus_client import generate_latest
    from service.metrics import ApiMetrics, scrape_registry
    metrics = ApiMetrics()
    metrics.observe("GET", "/v1/claims/<claim_id>", 200, 0.002)
    pid = os.fork()
    if pid == 0:
        metrics.observe("GET", "/v1/claims/<claim_id>", 200, 0.004)
        metrics.observe("POST", "/v1/articles", 202, 0.010)
        os._exit(0)
    os.waitpid(pid, 0)
    metrics.observe("GET", "/v1/claims/<claim_id>", 200, 0.003)
    sys.stdout.write(generate_latest(scrape_registry(metrics.registry)).decode())
    sys.stdout.write("PIDS %d %d\\n" % (os.getpid(), pid))
""")


def test_counts_of_forked_processes_are_summed(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert 'claimtrack_http_requests_total{method="GET",route="/v1/claims/<claim_id>",status="200"} 3.0' in out
    assert 'claimtrack_http_requests_total{method="POST",route="/v1/articles",status="202"} 1.0' in out
    assert 'claimtrack_http_request_duration_seconds_count{method="GET",route="/v1/claims/<claim_id>"} 3.0' in out
    parent, child = out.split("PIDS ")[1].split()
    assert {p.name for p in tmp_path.iterdir()} >= {f"counter_{parent}.db", f"counter_{child}.db"}
