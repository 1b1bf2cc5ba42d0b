"""Probes, and what clients see when Redis is unreachable."""
from __future__ import annotations

from helpers import free_port, headers
from service import create_app


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_without_redis_the_api_answers_503_problems(config):
    down = create_app(config.replace(redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_socket_timeout=0.5))
    client = down.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.mimetype == "application/problem+json"
    for method, path, body in (("GET", "/v1/claims", None), ("POST", "/v1/articles", {"text": "x"}),
                               ("GET", "/v1/articles/art_0000000000000000", None)):
        response = client.open(path, method=method, json=body, headers=headers("admin"))
        assert response.status_code == 503, path
        assert response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"]


def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz")
    assert len(generated.headers["X-Request-Id"]) == 16
    echoed = client.get("/v1/claims", headers=headers("read", **{"X-Request-Id": "cms-42"}))
    assert echoed.headers["X-Request-Id"] == "cms-42"
    forged = client.get("/healthz", headers={"X-Request-Id": 'x", "level": "error'})
    assert forged.headers["X-Request-Id"] != 'x", "level": "error'


def test_log_lines_stay_single_json_lines_whatever_a_client_sends():
    import json
    import logging

    from service.logs import JsonFormatter

    record = logging.LogRecord("claimtrack.access", logging.INFO, __file__, 1, "request", None, None)
    record.path = '/v1/articles/x\n{"level": "error", "msg": "forged"}'
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["path"] == record.path
