"""Per-key rate limits, counted in Redis: 429 problem+json with Retry-After."""
from __future__ import annotations

from helpers import headers
from service import create_app


def test_each_key_has_its_own_budget_and_probes_are_never_limited(config):
    client = create_app(config.replace(rate_limit="3 per hour")).test_client()
    for _ in range(3):
        assert client.get("/v1/claims", headers=headers("read")).status_code == 200
    limited = client.get("/v1/claims", headers=headers("read"))
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert limited.json["type"] == "/problems/rate-limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    assert client.get("/v1/claims", headers=headers("verify")).status_code == 200
    for _ in range(5):
        assert client.get("/healthz").status_code == 200


def test_limits_are_shared_by_every_api_process(config):
    """Two app instances (two gunicorn workers) count against one budget in Redis."""
    limited = config.replace(rate_limit="2 per hour")
    first, second = create_app(limited).test_client(), create_app(limited).test_client()
    assert first.get("/v1/claims", headers=headers("read")).status_code == 200
    assert second.get("/v1/claims", headers=headers("read")).status_code == 200
    assert first.get("/v1/claims", headers=headers("read")).status_code == 429
