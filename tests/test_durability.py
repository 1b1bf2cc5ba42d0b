"""What was acknowledged survives kill -9 of redis-server; while Redis is down the API says 503."""
from __future__ import annotations

import pytest

from helpers import API_KEYS, RedisServer, claim_record, headers, seed_article
from service import create_app
from service.config import Config
from service.runtime import EXTENSION


@pytest.fixture
def durable_redis(tmp_path):
    """A redis-server configured as `make run` configures its own: AOF with fsync always."""
    server = RedisServer(tmp_path, durable=True)
    server.start()
    yield server
    server.stop()


def test_acknowledged_verdict_survives_kill_9_and_the_api_recovers_by_itself(durable_redis):
    app = create_app(Config(redis_url=durable_redis.url, api_keys=API_KEYS, rate_limit="",
                            redis_socket_timeout=1.0))
    client = app.test_client()
    store = app.extensions[EXTENSION].repos
    aid = seed_article(client, store, "Okafor said the dam was safe.", [claim_record("the dam was safe", 12)])
    cid = store.claims.of_article(aid).items[0]["id"]
    acknowledged = client.patch(f"/v1/claims/{cid}/verification", headers=headers("verify"),
                                json={"status": "false", "note": "inspection report says otherwise"})
    assert acknowledged.status_code == 200

    durable_redis.kill()
    for method, path, body in (("GET", f"/v1/claims/{cid}", None),
                               ("PATCH", f"/v1/claims/{cid}/verification", {"status": "true"}),
                               ("POST", "/v1/articles", {"text": "Okafor said more."})):
        response = client.open(path, method=method, json=body, headers=headers("admin"))
        assert response.status_code == 503, (path, response.json)
        assert response.mimetype == "application/problem+json"
    assert client.get("/readyz").status_code == 503

    durable_redis.start()
    assert client.get("/readyz").status_code == 200
    claim = client.get(f"/v1/claims/{cid}", headers=headers("read"))
    assert claim.status_code == 200
    assert claim.json["verification"]["status"] == "false"
    assert claim.json["verification"]["note"] == "inspection report says otherwise"
    assert claim.json["version"] == 2
    history = client.get(f"/v1/claims/{cid}/history", headers=headers("read")).json["items"]
    assert [(h["from"], h["to"], h["by"]) for h in history] == [("unverified", "false", "alice")]
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done" and article["claim_count"] == 1
