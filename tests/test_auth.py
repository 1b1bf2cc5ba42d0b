"""API keys and roles: 401 without a known key, 403 without the role, on every endpoint."""
from __future__ import annotations

import pytest

from helpers import KEY, claim_record, seed_article
from service.auth import ApiKeys
from service.config import ConfigError

ENDPOINTS = [
    # (method, path template, role needed, json body)
    ("POST", "/v1/articles", "ingest", {"text": "Okafor said the dam was safe."}),
    ("GET", "/v1/articles/{aid}", "read", None),
    ("GET", "/v1/articles/{aid}/claims", "read", None),
    ("GET", "/v1/claims", "read", None),
    ("GET", "/v1/claims/{cid}", "read", None),
    ("GET", "/v1/claims/{cid}/history", "read", None),
    ("PATCH", "/v1/claims/{cid}/verification", "verify", {"status": "in_review"}),
    ("POST", "/v1/articles/{aid}/retry", "ingest", None),
    ("GET", "/v1/claims/{cid}/claimreview", "read", None),
    ("GET", "/v1/clusters/{clsid}", "read", None),
    ("GET", "/v1/speakers", "read", None),
    ("GET", "/v1/speakers/{sid}", "read", None),
    ("GET", "/v1/speakers/{sid}/claims", "read", None),
    ("PATCH", "/v1/speakers/{sid}", "admin", {"name": "Maria A. Okafor"}),
    ("GET", "/v1/events", "read", None),
    ("GET", "/v1/webhooks", "admin", None),
    ("POST", "/v1/webhooks", "admin", {"url": "https://93.184.215.14/x", "events": ["article.done"]}),
    ("GET", "/v1/keys", "admin", None),
]
# What each test key may do (see helpers.API_KEYS).
ROLES_OF = {
    "admin": {"ingest", "read", "verify", "admin"},
    "ingest": {"ingest"},
    "read": {"read"},
    "verify": {"read", "verify"},
}


@pytest.fixture
def ids(client, store):
    text = "Okafor said the dam was safe."
    aid = seed_article(client, store, text, [claim_record("the dam was safe", 12)])
    claim = store.claims.of_article(aid).items[0]
    return {"aid": aid, "cid": claim["id"], "clsid": claim["cluster_id"], "sid": claim["speaker"]["id"]}


def call(client, method, path, body, headers):
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("method,path,role,body", ENDPOINTS)
def test_missing_or_unknown_key_is_401(client, ids, method, path, role, body):
    for hdrs in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = call(client, method, path.format(**ids), body, hdrs)
        assert response.status_code == 401, hdrs
        assert response.mimetype == "application/problem+json"
        assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("method,path,role,body", ENDPOINTS)
def test_each_role_gets_exactly_its_endpoints(client, ids, method, path, role, body):
    for who, roles in ROLES_OF.items():
        response = call(client, method, path.format(**ids), body, {"X-API-Key": KEY[who]})
        if role in roles:
            # a role that passes meets the endpoint's own rules (409: nothing to retry, no verdict)
            assert response.status_code not in (401, 403), (who, response.json)
            assert response.status_code < 500
        else:
            assert response.status_code == 403, who
            assert role in response.json["detail"]


def test_bearer_token_is_accepted(client, ids):
    response = client.get("/v1/claims", headers={"Authorization": f"Bearer {KEY['read']}"})
    assert response.status_code == 200


def test_probes_and_docs_need_no_key(client):
    for path in ("/healthz", "/readyz", "/openapi.json", "/openapi.yaml", "/docs"):
        assert client.get(path).status_code == 200, path


def test_parse_keys_and_roles():
    keys = ApiKeys.parse(" newsroom:s3cr3t:ingest+read , alice:pa55:read+verify,root:x:admin")
    assert len(keys) == 3
    newsroom = keys.authenticate("s3cr3t")
    assert newsroom.name == "newsroom" and newsroom.can("read") and not newsroom.can("verify")
    assert keys.authenticate("x").can("verify")
    assert keys.authenticate("S3CR3T") is None
    assert ApiKeys.parse("").authenticate("anything") is None


@pytest.mark.parametrize("spec", ["justaname", "a:b", "a:b:c:d", "a::read", "a:b:write", "a:b:read,a:c:read"])
def test_malformed_key_configuration_is_refused_without_echoing_secrets(spec):
    with pytest.raises(ConfigError) as error:
        ApiKeys.parse(spec)
    assert "b:" not in str(error.value) and "CLAIMTRACK_API_KEYS" in str(error.value)
