"""URL fields that JSON can fill with what no URL may hold: lone surrogates (a JSON escape such
as "\\ud800", which Python accepts and UTF-8 cannot store) and control characters. Each is a 422
on the field, never a 500, and nothing stored changes."""
from __future__ import annotations

import json

import pytest

from helpers import headers, quote_article
from service import create_app

SURROGATE_URL = "https://e.example/\\ud800"  # as written in the JSON text: a JSON escape


def send(client, method: str, path: str, raw_json: str, who: str):
    return client.open(path, method=method, data=raw_json.encode(), headers=headers(who),
                       content_type="application/json")


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json


def test_an_article_url_with_a_lone_surrogate_is_a_422(client):
    response = send(client, "POST", "/v1/articles", '{"text": "t", "url": "%s"}' % SURROGATE_URL, "ingest")
    assert_refused(response, "url")
    assert client.get("/v1/articles", headers=headers("read")).json["items"] == []


@pytest.mark.parametrize("field, value", [
    ("evidence", '["%s"]' % SURROGATE_URL),
    ("review_url", '"%s"' % SURROGATE_URL),
])
def test_verification_urls_with_a_lone_surrogate_are_a_422(client, store, field, value):
    _, claim = quote_article(client, store, "The dam is safe", "Maria Okafor")
    response = send(client, "PATCH", f"/v1/claims/{claim['id']}/verification",
                    '{"status": "false", "%s": %s}' % (field, value), "verify")
    assert_refused(response, field)
    after = client.get(f"/v1/claims/{claim['id']}", headers=headers("read")).json
    assert after["verification"] == claim["verification"] and after["version"] == claim["version"]


@pytest.fixture
def loopback_hooks(config):
    """Webhook URLs on 127.0.0.1 pass the address check, so only the URL's spelling decides."""
    return create_app(config.replace(webhook_allow_hosts="127.0.0.1")).test_client()


def test_a_webhook_url_with_a_lone_surrogate_is_a_422(loopback_hooks):
    response = send(loopback_hooks, "POST", "/v1/webhooks",
                    '{"url": "http://127.0.0.1:9/\\ud800", "events": ["article.done"]}', "admin")
    assert_refused(response, "url")
    assert loopback_hooks.get("/v1/webhooks", headers=headers("admin")).json["items"] == []


@pytest.mark.parametrize("character", ["\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x85"])
def test_a_webhook_url_with_a_control_character_is_a_422(loopback_hooks, character):
    body = json.dumps({"url": f"http://127.0.0.1:9/a{character}b", "events": ["article.done"]})
    assert_refused(send(loopback_hooks, "POST", "/v1/webhooks", body, "admin"), "url")
    assert loopback_hooks.get("/v1/webhooks", headers=headers("admin")).json["items"] == []


def test_a_webhook_url_on_an_allowed_host_is_still_accepted(loopback_hooks):
    body = json.dumps({"url": "http://127.0.0.1:9/hooks/a-b_c?x=1", "events": ["article.done"]})
    assert send(loopback_hooks, "POST", "/v1/webhooks", body, "admin").status_code == 201
