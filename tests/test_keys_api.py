"""Managed API keys: created, used, rotated and revoked while the app runs; never stored in clear."""
from __future__ import annotations

import time

from helpers import headers
from service import create_app


def create(client, name: str, roles: list[str]):
    return client.post("/v1/keys", json={"name": name, "roles": roles}, headers=headers("admin"))


def test_a_created_key_works_at_once_and_is_stored_only_as_a_digest(client, redis):
    response = create(client, "carol", ["read", "verify"])
    assert response.status_code == 201
    secret = response.json["secret"]
    assert response.json["roles"] == ["read", "verify"]
    assert client.get("/v1/claims", headers={"X-API-Key": secret}).status_code == 200
    assert client.post("/v1/articles", json={"text": "x"}, headers={"X-API-Key": secret}).status_code == 403
    for key in redis.keys("*"):
        kind = redis.type(key)
        values = (redis.hvals(key) if kind == "hash" else [redis.get(key)] if kind == "string" else [])
        assert secret not in key and all(secret not in (v or "") for v in values)


def test_rotation_without_restart(client):
    old = create(client, "cms", ["ingest"]).json
    new = create(client, "cms", ["ingest"]).json
    listed = client.get("/v1/keys", headers=headers("admin")).json["items"]
    assert [k["id"] for k in listed] == [old["id"], new["id"]]
    assert all("secret" not in k for k in listed)
    assert client.delete(f"/v1/keys/{old['id']}", headers=headers("admin")).status_code == 204
    body = {"text": "Okafor said so."}
    assert client.post("/v1/articles", json=body, headers={"X-API-Key": old["secret"]}).status_code == 401
    assert client.post("/v1/articles", json=body, headers={"X-API-Key": new["secret"]}).status_code == 202
    assert client.delete(f"/v1/keys/{old['id']}", headers=headers("admin")).status_code == 404


def test_verdicts_by_a_managed_key_are_recorded_under_its_name(client, store):
    from helpers import claim_record, seed_article

    aid = seed_article(client, store, "Okafor said it rained.", [claim_record("it rained", 12)])
    cid = store.claims.of_article(aid).items[0]["id"]
    secret = create(client, "dana", ["verify"]).json["secret"]
    response = client.patch(f"/v1/claims/{cid}/verification", json={"status": "true"},
                            headers={"X-API-Key": secret})
    assert response.json["verification"]["updated_by"] == "dana"


def test_only_admins_manage_keys_and_bad_bodies_are_rejected(client):
    assert client.get("/v1/keys", headers=headers("verify")).status_code == 403
    assert create(client, "x", ["root"]).status_code == 422
    assert create(client, "has space", ["read"]).status_code == 422
    assert create(client, "x", []).status_code == 422


def test_key_ids_are_random_and_say_nothing_about_the_secret(client):
    import hashlib

    first, second = create(client, "carol", ["read"]).json, create(client, "carol", ["read"]).json
    for key in (first, second):
        digest = hashlib.sha256(key["secret"].encode()).hexdigest()
        assert key["id"].startswith("key_") and key["id"][4:] not in digest
    assert first["id"] != second["id"]
    assert client.delete(f"/v1/keys/{first['id']}", headers=headers("admin")).status_code == 204
    assert client.get("/v1/claims", headers={"X-API-Key": first["secret"]}).status_code == 401
    assert client.get("/v1/claims", headers={"X-API-Key": second["secret"]}).status_code == 200


def test_a_managed_key_cannot_take_the_name_of_a_configured_key(client):
    """Otherwise the audit trail could not tell `ops` (configured) from a managed `ops`."""
    for configured in ("ops", "alice"):
        refused = create(client, configured, ["read"])
        assert refused.status_code == 409, configured
        assert refused.mimetype == "application/problem+json"
    assert client.get("/v1/keys", headers=headers("admin")).json["items"] == []
    assert create(client, "ops-2", ["read"]).status_code == 201


def test_a_key_revoked_through_another_api_process_stops_working_within_the_cache_time(config, redis):
    """Each API process remembers a managed key it found for `cache_seconds` (no read of it per
    request); one revoked through another process stops working once that time has passed,
    and at once in the process that revoked it."""
    serving, revoking = create_app(config), create_app(config)
    serving.extensions["claimtrack"].repos.api_keys.cache_seconds = 1.0
    client, other = serving.test_client(), revoking.test_client()
    key = create(other, "erin", ["read"]).json
    assert client.get("/v1/claims", headers={"X-API-Key": key["secret"]}).status_code == 200
    redis.config_resetstat()
    assert client.get("/v1/claims", headers={"X-API-Key": key["secret"]}).status_code == 200
    assert "cmdstat_hgetall" not in redis.info("commandstats")  # remembered, not read again

    assert other.delete(f"/v1/keys/{key['id']}", headers=headers("admin")).status_code == 204
    assert other.get("/v1/claims", headers={"X-API-Key": key["secret"]}).status_code == 401
    time.sleep(1.05)
    assert client.get("/v1/claims", headers={"X-API-Key": key["secret"]}).status_code == 401
