"""The container files, checked by parsing them (this machine has a docker client but no
daemon, and no compose plugin): what the build context leaves out, the image's per-process
health check, and the compose services' durability, health checks and restart policies."""
from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path

import pytest
import yaml

from service.container_health import runs_worker

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def ignored(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    parts = path.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/")) \
                    or (pattern.startswith("**/") and fnmatch.fnmatch(parts[depth - 1], pattern[3:])):
                return True
    return False


@pytest.mark.parametrize("path", [".venv/bin/python", "var/local-admin.key", "var/redis/appendonly.aof",
                                  ".git/HEAD", "service/__pycache__/app.cpython-311.pyc", ".pytest_cache/v",
                                  "bench/results/api.json", ".hypothesis/examples/x"])
def test_the_build_context_leaves_out_local_state(path: str) -> None:
    assert ignored(path)


@pytest.mark.parametrize("path", ["service/app.py", "workers/worker.py", "pyproject.toml", "constraints.txt",
                                  "README.md"])
def test_the_build_context_keeps_what_the_image_copies(path: str) -> None:
    assert not ignored(path)
    copied = [rest for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    assert any(path.split("/")[0] in shlex.split(rest)[:-1] for rest in copied)


def test_the_image_checks_each_process_by_what_it_runs() -> None:
    instructions = dockerfile_instructions()
    (check,) = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
    assert "service.container_health" in check
    assert "/healthz" not in check  # an HTTP check would fail every worker container
    assert [rest for keyword, rest in instructions if keyword == "USER"] == ["claimtrack"]
    assert runs_worker("/usr/local/bin/python /usr/local/bin/claimtrack-worker --serve webhooks ")
    assert runs_worker("python -m workers.worker ")
    assert not runs_worker("/usr/local/bin/python /usr/local/bin/gunicorn -c python:service.gunicorn_conf x ")


def test_compose_runs_a_durable_password_protected_redis(compose: dict) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"
    assert "--requirepass" in command
    assert "REDIS_PASSWORD" in command[command.index("--requirepass") + 1]
    assert "ports" not in redis  # reachable from the other services only
    assert redis["healthcheck"] and redis["restart"] in ("always", "unless-stopped")


@pytest.mark.parametrize("name,serve", [("worker", "extraction"), ("webhook-worker", "webhooks")])
def test_compose_workers_check_themselves(compose: dict, name: str, serve: str) -> None:
    service = compose["services"][name]
    assert service["command"] == ["claimtrack-worker", "--serve", serve]
    assert service["healthcheck"]["test"] == ["CMD", "claimtrack-worker", "--check"]
    assert service["restart"] in ("always", "unless-stopped")
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD[^}]*\}@redis:6379/0", service["environment"]["REDIS_URL"])
    assert "ports" not in service


def test_compose_api_checks_healthz_and_publishes_on_loopback(compose: dict) -> None:
    api = compose["services"]["api"]
    assert any("/healthz" in part for part in api["healthcheck"]["test"])
    assert api["restart"] in ("always", "unless-stopped")
    assert all(port.startswith("127.0.0.1:") for port in api["ports"])
    assert "REDIS_PASSWORD" in api["environment"]["REDIS_URL"]
    default = {name for name, service in compose["services"].items() if not service.get("profiles")}
    assert default == {"redis", "api", "worker", "webhook-worker"}


def test_compose_cluster_profile_keeps_the_queues_on_redis_and_the_store_on_the_cluster(compose: dict) -> None:
    services = compose["services"]
    profiled = {name for name, service in services.items() if service.get("profiles") == ["cluster"]}
    assert profiled == {"redis-node-1", "redis-node-2", "redis-node-3", "redis-cluster-init", "api-cluster",
                        "worker-cluster", "webhook-worker-cluster"}
    for name in ("redis-node-1", "redis-node-2", "redis-node-3"):
        command = " ".join(services[name]["command"])
        assert "--cluster-enabled yes" in command and "--appendfsync always" in command
        assert "--requirepass" in command and "ports" not in services[name]
    for name in ("api-cluster", "worker-cluster", "webhook-worker-cluster"):
        env = services[name]["environment"]
        assert env["CLAIMTRACK_REDIS_CLUSTER"] == "on"
        assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD[^}]*\}@redis-node-1:6379", env["REDIS_URL"])
        assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD[^}]*\}@redis:6379/0", env["CLAIMTRACK_QUEUE_URL"])
        assert services[name]["depends_on"]["redis-cluster-init"]["condition"] == "service_completed_successfully"
