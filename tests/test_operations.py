"""Operating a running Claimtrack: gunicorn with two processes and a real worker, sharing one
metrics directory as `make run` does, each writing its logs to a file.

After real jobs (an extraction and a webhook delivery), `/metrics` (and the worker's own
metrics port) show the named series and their values have moved; `/v1/status` says `ok`;
`rq info` lists both queues; the worker's health check passes; nothing scraped or logged
carries article text or a secret; and every line the processes logged is one JSON object.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KEYS = {"admin": "ops-admin-secret-1", "ingest": "ops-ingest-secret-2", "metrics": "ops-scrape-secret-3",
        "read": "ops-read-secret-4"}
API_KEYS = ",".join(f"{role}er:{secret}:{role}" for role, secret in KEYS.items())
# Words that appear only in the article text, never in a series name or a log field.
ARTICLE = ('"The Quillmoor reservoir will be finished by spring," said Maria Okafor, the governor of '
           "Lakeshore. Okafor said that the Brindlewick tunnel would cost ten million dollars.")
SECRET_WORDS = ["Quillmoor", "Brindlewick", *KEYS.values()]  # + the webhook's generated secret


class Receiver:
    """A webhook endpoint on loopback that accepts every delivery."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Service:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis = RedisServer(tmp / "redis")
        self.port = free_port()
        self.worker_metrics_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs: dict[str, Path] = {}
        self.processes: list[subprocess.Popen[bytes]] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "REDIS_URL": self.redis.url, "CLAIMTRACK_API_KEYS": API_KEYS,
                "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics"), "CLAIMTRACK_JOB_HEARTBEAT": "1",
                "CLAIMTRACK_MAINTENANCE_INTERVAL": "1", "CLAIMTRACK_STALL_AFTER": "30",
                "CLAIMTRACK_WEBHOOK_RETRY_INTERVALS": "1", "CLAIMTRACK_RATE_LIMIT": "off",
                "CLAIMTRACK_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", **extra}

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        out, err = self.tmp / f"{name}.out", self.tmp / f"{name}.err"
        self.logs[f"{name}.out"], self.logs[f"{name}.err"] = out, err
        process = subprocess.Popen(command, cwd=ROOT, env=self.env(**env), stdout=out.open("wb"),
                                   stderr=err.open("wb"), start_new_session=True)
        self.processes.append(process)
        return process

    def __enter__(self) -> "Service":
        try:
            return self._start_all()
        except BaseException:
            self.__exit__()  # leave no process behind when start-up fails
            raise

    def _start_all(self) -> "Service":
        (self.tmp / "redis").mkdir()
        (self.tmp / "metrics").mkdir()
        self.redis.start()
        self.start("api", [str(BIN / "gunicorn"), "-c", "python:service.gunicorn_conf", "service.app:create_app()"],
                   PORT=str(self.port), WEB_CONCURRENCY="2")
        self.start("worker", [sys.executable, "-m", "workers.worker"],
                   CLAIMTRACK_METRICS_PORT=str(self.worker_metrics_port))
        wait_for(lambda: self.get("/healthz")[0] == 200, "the API to answer")
        wait_for(lambda: self.get("/v1/status", "metrics")[1]["verdict"] == "ok", "the worker to be live")
        # Before any job: RQ lists a queue once a job was enqueued to it, the worker does so at start.
        self.rq_info_at_start = subprocess.run(
            [str(BIN / "rq"), "info", "--url", self.redis.url, "--only-queues"],
            capture_output=True, text=True, timeout=60, check=True).stdout
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.redis.stop()

    def request(self, method: str, path: str, role: str | None = None, body: Any = None) -> tuple[int, Any]:
        headers = {"X-API-Key": KEYS[role]} if role else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        except OSError:
            return 0, None
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode()

    def get(self, path: str, role: str | None = None) -> tuple[int, Any]:
        return self.request("GET", path, role)


def wait_for(condition: Any, what: str, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (TypeError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape_worker(service: Service) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{service.worker_metrics_port}/metrics", timeout=30) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with Service(tmp_path_factory.mktemp("operations")) as running:
        yield running


@pytest.fixture(scope="module")
def after_jobs(service: Service) -> dict[str, Any]:
    """Scrapes before and after one article (with a webhook for its `article.done`)."""
    receiver = Receiver()
    status, hook = service.request("POST", "/v1/webhooks", "admin", {"url": receiver.url, "events": ["article.done"]})
    assert status == 201, hook
    SECRET_WORDS.append(hook["secret"])
    before = samples(service.get("/metrics", "metrics")[1])
    status, article = service.request("POST", "/v1/articles", "ingest", {"text": ARTICLE})
    assert status == 202, article
    wait_for(lambda: service.get(f"/v1/articles/{article['id']}", "read")[1]["status"] == "done", "the article")
    wait_for(lambda: receiver.received, "the webhook delivery")
    wait_for(lambda: value(samples(service.get("/metrics", "metrics")[1]), "claimtrack_webhook_deliveries_total",
                           outcome="delivered"), "the delivery to be counted")
    text = service.get("/metrics", "metrics")[1]
    receiver.server.shutdown()
    return {"before": before, "after": samples(text), "text": text, "worker_text": scrape_worker(service),
            "article": service.get(f"/v1/articles/{article['id']}", "read")[1]}


def test_metrics_series_move_after_real_jobs(after_jobs: dict[str, Any]) -> None:
    before, after = after_jobs["before"], after_jobs["after"]
    claims = after_jobs["article"]["claim_count"]
    assert claims > 0

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Requests, counted by whichever of the two gunicorn processes answered them.
    assert moved("claimtrack_http_requests_total", method="POST", route="/v1/articles", status="202") == 1
    assert moved("claimtrack_http_request_duration_seconds_count", method="POST", route="/v1/articles") == 1
    assert moved("claimtrack_http_requests_total", method="GET", route="/v1/articles/<article_id>",
                 status="200") >= 1
    # Jobs, counted in the worker's horse, read through the shared directory.
    assert moved("claimtrack_jobs_started_total", queue="claimtrack") == 1
    assert moved("claimtrack_jobs_ended_total", queue="claimtrack", outcome="finished") == 1
    assert moved("claimtrack_job_duration_seconds_count", queue="claimtrack", outcome="finished") == 1
    assert moved("claimtrack_jobs_ended_total", queue="claimtrack-webhooks", outcome="finished") == 1
    assert moved("claimtrack_article_claims_count") == 1
    assert moved("claimtrack_article_claims_sum") == claims
    assert moved("claimtrack_webhook_deliveries_total", outcome="delivered") == 1
    # Read from Redis at scrape time.
    assert value(after, "claimtrack_articles", status="done") == 1
    assert value(after, "claimtrack_articles", status="queued") == 0
    for queue in ("claimtrack", "claimtrack-webhooks"):
        assert value(after, "claimtrack_queue_depth", queue=queue) == 0
        assert (("claimtrack_queue_oldest_job_age_seconds", (("queue", queue),)) in after)
        assert value(after, "claimtrack_queue_live_workers", queue=queue) == 1
    assert value(after, "claimtrack_workers_live") == 1
    ages = [v for (name, _), v in after.items() if name == "claimtrack_worker_heartbeat_age_seconds"]
    assert len(ages) == 1 and 0 <= ages[0] < 30
    assert value(after, "claimtrack_pipeline_verdict", verdict="ok") == 1
    assert value(after, "claimtrack_redis_up") == 1


def test_the_worker_port_serves_its_job_series(after_jobs: dict[str, Any]) -> None:
    own = samples(after_jobs["worker_text"])
    assert value(own, "claimtrack_jobs_ended_total", queue="claimtrack", outcome="finished") >= 1
    assert value(own, "claimtrack_webhook_deliveries_total", outcome="delivered") >= 1


def test_metrics_need_the_metrics_role_and_expose_no_text_or_secret(service: Service,
                                                                    after_jobs: dict[str, Any]) -> None:
    assert service.get("/metrics")[0] == 401
    assert service.get("/metrics", "read")[0] == 403
    assert service.get("/metrics", "admin")[0] == 200
    for text in (after_jobs["text"], after_jobs["worker_text"]):
        for word in SECRET_WORDS:
            assert word not in text
        assert "art_" not in text and service.redis.url not in text


def test_status_reports_queues_workers_and_verdict(service: Service, after_jobs: dict[str, Any]) -> None:
    assert service.get("/v1/status")[0] == 401
    assert service.get("/v1/status", "read")[0] == 403
    status, body = service.get("/v1/status", "metrics")
    assert status == 200
    assert body["verdict"] == "ok" and body["reasons"] == []
    assert [q["name"] for q in body["queues"]] == ["claimtrack", "claimtrack-webhooks"]
    (worker,) = body["workers"]
    assert worker["live"] and worker["state"] in ("idle", "busy")
    assert sorted(worker["queues"]) == ["claimtrack", "claimtrack-webhooks"]
    assert body["articles"]["done"] == 1


def test_rq_info_lists_both_queues_before_any_job(service: Service) -> None:
    names = {line.split()[0] for line in service.rq_info_at_start.splitlines() if line.strip()}
    assert {"claimtrack", "claimtrack-webhooks"} <= names, service.rq_info_at_start


def test_the_worker_health_check(service: Service) -> None:
    check = [sys.executable, "-m", "workers.worker", "--check"]
    ok = subprocess.run(check, cwd=ROOT, env=service.env(), capture_output=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    # Another database of the same server has no worker at all.
    none = subprocess.run(check, cwd=ROOT, env=service.env(REDIS_URL=service.redis.url[:-1] + "1"),
                          capture_output=True, timeout=120)
    assert none.returncode == 1
    for result in (ok, none):
        for line in result.stderr.decode().splitlines():
            json.loads(line)


def test_every_log_line_is_one_json_object_without_text_or_secrets(service: Service,
                                                                   after_jobs: dict[str, Any]) -> None:
    lines = []
    for name, path in service.logs.items():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                raise AssertionError(f"{name}: not JSON: {line!r}") from None
            assert isinstance(entry, dict), line
            for word in SECRET_WORDS:
                assert word not in line, f"{name} logged {word!r}: {line}"
            lines.append(entry)
    loggers = {entry.get("logger") for entry in lines}
    assert {"gunicorn.error", "claimtrack.access", "rq.worker", "claimtrack.jobs"} <= loggers
    jobs = [entry for entry in lines if entry.get("logger") == "claimtrack.jobs"]
    extraction = next(entry for entry in jobs if entry["queue"] == "claimtrack")
    assert extraction["article_id"] == after_jobs["article"]["id"]
    assert extraction["claims"] == after_jobs["article"]["claim_count"]
    assert extraction["outcome"] == "finished" and extraction["duration_ms"] > 0
    assert extraction["job_id"].startswith("extract-")
    delivery = next(entry for entry in jobs if entry["queue"] == "claimtrack-webhooks")
    assert delivery["outcome"] == "finished" and delivery["article_id"] is None
