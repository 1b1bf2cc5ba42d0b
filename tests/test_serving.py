"""The API as gunicorn serves it: slow clients, body limits and gunicorn's own error answers.

These tests run the real gunicorn (`service/gunicorn_conf.py`, one worker process with 2
threads) on a loopback port against the test Redis, and talk to it over real sockets.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import API_KEYS, KEY, free_port

ROOT = Path(__file__).resolve().parent.parent
THREADS = 2
REQUEST_TIMEOUT = 3
LIMIT = 1024 * 1024


class Gunicorn:
    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1", "REDIS_URL": redis_url,
               "CLAIMTRACK_API_KEYS": API_KEYS, "WEB_CONCURRENCY": "1", "WEB_THREADS": str(THREADS),
               "CLAIMTRACK_RATE_LIMIT": "off", "CLAIMTRACK_MAX_BODY_BYTES": str(LIMIT),
               "CLAIMTRACK_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT), "LOG_LEVEL": "WARNING"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "-c", "python:service.gunicorn_conf", "--no-control-socket",
             "service.app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("gunicorn exited") from None
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(redis_server) -> Iterator[Gunicorn]:
    running = Gunicorn(redis_server.url)
    yield running
    running.stop()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP response from a raw socket: status, headers, body."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_slow_clients_do_not_keep_healthz_from_answering(server):
    """N+2 connections (N = the worker's threads) sending their headers a byte at a time; /healthz
    must still answer, and quickly. The figure is printed (`pytest -s`) for the note."""
    stop = threading.Event()
    slow: list[socket.socket] = []

    def dribble(sock: socket.socket) -> None:
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 1000:
            if stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return
            time.sleep(0.2)

    for _ in range(THREADS + 2):
        sock = socket.create_connection(("127.0.0.1", server.port))
        slow.append(sock)
        threading.Thread(target=dribble, args=(sock,), daemon=True).start()
    try:
        time.sleep(1.0)  # every slow connection has sent part of its request line
        latencies = []
        for _ in range(10):
            started = time.monotonic()
            with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
                assert response.status == 200
                assert json.loads(response.read()) == {"status": "ok"}
            latencies.append((time.monotonic() - started) * 1000)
            time.sleep(0.1)
        print(f"\n/healthz with {THREADS + 2} slow connections: max {max(latencies):.1f} ms, "
              f"median {sorted(latencies)[len(latencies) // 2]:.1f} ms")
    finally:
        stop.set()
        for sock in slow:
            sock.close()


def test_a_request_that_never_completes_is_answered_408_and_closed(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=REQUEST_TIMEOUT + 10)
    sock.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    status, headers, body = read_response(sock)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 408
    assert sock.recv(10) == b"", "the server closed the connection"
    sock.close()


@pytest.fixture
def big_body() -> bytes:
    return json.dumps({"text": "He said it. " * (5 * 1024 * 1024 // 12)}).encode()


def test_urllib_reads_the_413_of_a_large_body(server, big_body):
    request = urllib.request.Request(server.url + "/v1/articles", data=big_body, method="POST", headers={
        "Content-Type": "application/json", "X-API-Key": KEY["ingest"]})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(refused.value.read())["status"] == 413


def test_curl_reads_the_413_of_a_large_body(server, big_body, tmp_path):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    body = tmp_path / "body.json"
    body.write_bytes(big_body)
    for extra in ([], ["-H", "Transfer-Encoding: chunked"], ["-H", "Expect:"]):
        done = subprocess.run(
            [curl, "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", server.url + "/v1/articles",
             "-H", "Content-Type: application/json", "-H", f"X-API-Key: {KEY['ingest']}", *extra,
             "--data-binary", f"@{body}"], capture_output=True, timeout=60, text=True)
        assert done.returncode == 0, (extra, done.stderr)
        answer, _, code = done.stdout.rpartition("\n")
        assert code == "413", extra
        assert json.loads(answer)["status"] == 413


def send_chunked(port: int, body: bytes, chunk: int = 64 * 1024) -> tuple[int, dict[str, str], bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"X-API-Key: " + KEY["ingest"].encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for start in range(0, len(body), chunk):
            part = body[start:start + chunk]
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered early and stopped reading: its answer is still there
    try:
        return read_response(sock)
    finally:
        sock.close()


def test_a_chunked_body_is_limited_while_it_is_read(server):
    for size in (LIMIT + 1024, 3 * LIMIT):
        body = json.dumps({"text": "x" * size}).encode()
        status, headers, answer = send_chunked(server.port, body)
        assert status == 413, size
        assert headers["content-type"] == "application/problem+json"
    status, _, answer = send_chunked(server.port, json.dumps({"text": '"We build," she said.'}).encode(), chunk=7)
    assert status == 202, answer


def test_gunicorn_answers_its_own_errors_as_problem_json(server):
    cases = [
        (b"GET /healthz?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431),
        (b"NOT A REQUEST\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    ]
    for raw, expected in cases:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(raw)
            status, headers, body = read_response(sock)
        assert status == expected, raw[:40]
        assert headers["content-type"] == "application/problem+json", raw[:40]
        assert json.loads(body)["status"] == expected


def test_deeply_nested_json_is_a_400_in_gunicorns_threads(server):
    """Threads have smaller stacks than the main thread: the depth check must hold there."""
    for body in (b"[" * 1000 + b"]" * 1000, b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"):
        request = urllib.request.Request(server.url + "/v1/articles", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-API-Key": KEY["ingest"]})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 400
        assert refused.value.headers["Content-Type"] == "application/problem+json"


def test_gunicorns_own_answers_carry_a_request_id(server):
    """Like every answer of the app: an X-Request-Id header, and the same id in the body."""
    cases = [
        (b"NOT A REQUEST\r\n\r\n", 400),
        (b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", 408),
        (b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (LIMIT + 1), 413),
        (b"GET /healthz?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431),
    ]
    seen = set()
    for raw, expected in cases:
        with socket.create_connection(("127.0.0.1", server.port), timeout=REQUEST_TIMEOUT + 10) as sock:
            sock.sendall(raw)
            status, headers, body = read_response(sock)
        assert status == expected, raw[:40]
        request_id = headers.get("x-request-id")
        assert request_id and json.loads(body).get("request_id") == request_id, (expected, headers, body)
        seen.add(request_id)
    assert len(seen) == len(cases), "a fresh id for each answer"
