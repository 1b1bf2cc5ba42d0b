"""Redis frozen (SIGSTOP of the test's own redis-server) or unreachable: every API and console
request answers 503 problem+json with Retry-After within CLAIMTRACK_REDIS_TIMEOUT, the rate
limits fail closed, the outage is logged as one warning line per interval without tracebacks,
and everything works again once Redis is back."""
from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient

from helpers import API_KEYS, RedisServer, free_port, headers, quote_article
from service import create_app
from service.config import Config
from service.runtime import EXTENSION

#: CLAIMTRACK_REDIS_TIMEOUT in these tests.
TIMEOUT = 1.0
#: What a loaded machine may add to it (the bound is the timeout, not the machine's speed).
MARGIN = 1.5


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, so that freezing it stops no other test."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@contextmanager
def frozen(server: RedisServer) -> Iterator[None]:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def outage_config(url: str, **changes) -> Config:
    return Config(redis_url=url, api_keys=API_KEYS, job_retries=0, redis_socket_timeout=TIMEOUT,
                  rate_limit="1200 per minute", auth_failure_limit="30 per minute").replace(**changes)


def timed(client: FlaskClient, method: str, path: str, **kwargs):
    started = time.monotonic()
    response = client.open(path, method=method, **kwargs)
    return response, time.monotonic() - started


def assert_unavailable(response, elapsed: float) -> None:
    assert response.status_code == 503, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/storage-unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert elapsed < TIMEOUT + MARGIN, f"answered after {elapsed:.2f} s"


def test_a_frozen_redis_gets_a_prompt_503_from_the_api_and_the_console(own_redis, caplog):
    app = create_app(outage_config(own_redis.url))
    client = app.test_client()
    repos = app.extensions[EXTENSION].repos
    aid, claim = quote_article(client, repos, "The bridge will open in May", "Maria Okafor")
    assert client.get(f"/v1/claims/{claim['id']}", headers=headers("read")).status_code == 200
    client.set_cookie("ct_console", "s" * 43, path="/console")
    caplog.clear()
    caplog.set_level(logging.INFO)
    requests = [
        ("GET", f"/v1/claims/{claim['id']}", {"headers": headers("read")}),
        ("POST", "/v1/articles", {"headers": headers("ingest"), "json": {"text": "Okafor said so."}}),
        ("GET", "/v1/claims?limit=10", {"headers": headers("read")}),
        ("GET", f"/v1/articles/{aid}", {"headers": headers("read")}),
        ("PATCH", f"/v1/claims/{claim['id']}/verification",
         {"headers": headers("verify", **{"If-Match": '"1"'}), "json": {"status": "false"}}),
        ("GET", "/v1/claims/not-a-claim-id", {"headers": headers("read")}),  # needs no store read
        ("GET", "/v1/claims/x", {"headers": {"X-API-Key": "a-wrong-key"}}),  # failed authentication
        ("GET", f"/console/claims/{claim['id']}", {}),
        ("GET", "/console/", {}),
    ]
    with frozen(own_redis):
        for method, path, kwargs in requests:
            response, elapsed = timed(client, method, path, **kwargs)
            assert_unavailable(response, elapsed)
    # Rate limits fail closed: the request above that the store would have answered 404 without
    # reading Redis got 503, because its limit could not be counted.
    assert not [r for r in caplog.records if r.exc_info], "an expected outage logs no traceback"
    assert not [r for r in caplog.records if "Swallowing error" in r.getMessage()]
    warnings = [r for r in caplog.records if "redis unavailable" in r.getMessage()]
    assert 1 <= len(warnings) < len(requests), "one line per interval, not one per request"
    # Redis back: everything answers again, and nothing was lost.
    assert client.get(f"/v1/claims/{claim['id']}", headers=headers("read")).json["verification"]["status"] \
        == "unverified"
    assert client.get("/v1/claims/not-a-claim-id", headers=headers("read")).status_code == 404


def test_an_unreachable_redis_gets_a_prompt_503(redis_server):
    app = create_app(outage_config(f"redis://127.0.0.1:{free_port()}/0"))
    client = app.test_client()
    for method, path, kwargs in [("GET", "/v1/claims/clm_1", {"headers": headers("read")}),
                                 ("POST", "/v1/articles", {"headers": headers("ingest"), "json": {"text": "x"}}),
                                 ("GET", "/console/", {})]:
        response, elapsed = timed(client, method, path, **kwargs)
        assert_unavailable(response, elapsed)


def test_without_rate_limits_a_frozen_redis_still_answers_within_the_timeout(own_redis):
    app = create_app(outage_config(own_redis.url, rate_limit="", auth_failure_limit=""))
    client = app.test_client()
    _, claim = quote_article(client, app.extensions[EXTENSION].repos, "Taxes will fall", "Maria Okafor")
    with frozen(own_redis):
        response, elapsed = timed(client, "GET", f"/v1/claims/{claim['id']}", headers=headers("read"))
        assert_unavailable(response, elapsed)
        response, elapsed = timed(client, "GET", "/v1/claims/not-a-claim-id", headers=headers("read"))
        assert response.status_code == 404, "without limits to count, a request that needs no Redis is served"
