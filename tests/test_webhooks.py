"""Webhooks: real deliveries to a local HTTP server, signed, retried, logged."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import headers, quote_article
from workers.worker import build_worker

SECRET = "a-long-enough-shared-secret"


class Receiver:
    """An HTTP endpoint that answers with the given statuses in turn and keeps what it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/claimtrack"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver([500]) as r:
        yield r


@pytest.fixture
def hook_config(config):
    return config.replace(webhook_retry_intervals=(0, 0))


@pytest.fixture
def hook_client(hook_config):
    from service import create_app

    return create_app(hook_config).test_client()


def test_an_event_is_delivered_signed_and_retried_after_a_500(hook_client, hook_config, store, receiver):
    created = hook_client.post("/v1/webhooks", headers=headers("admin"), json={
        "url": receiver.url, "events": ["claim.verification_changed"], "secret": SECRET})
    assert created.status_code == 201
    hook = created.json
    assert "secret" not in hook
    _, claim = quote_article(hook_client, store, "The dam is safe", "Maria Okafor")
    hook_client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "false"}, headers=headers("verify"))

    assert build_worker(hook_config).work(burst=True, logging_level="WARNING")

    assert len(receiver.received) == 2, "one failed attempt, one retry"
    (first_headers, first_body), (second_headers, second_body) = receiver.received
    assert first_body == second_body
    event = json.loads(second_body)
    assert event["type"] == "claim.verification_changed"
    assert event["data"] == {"claim_id": claim["id"], "from": "unverified", "to": "false", "by": "alice"}
    expected = "sha256=" + hmac.new(SECRET.encode(), second_body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(second_headers["X-Claimtrack-Signature"], expected)
    assert second_headers["X-Claimtrack-Event"] == "claim.verification_changed"
    assert second_headers["Content-Type"] == "application/json"
    feed = hook_client.get("/v1/events?limit=100", headers=headers("read")).json["items"]
    assert event in feed, "the delivered event is the one in the feed"

    attempts = hook_client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=headers("admin")).json["items"]
    assert [(a["attempt"], a["status_code"], a["ok"]) for a in attempts] == [(2, 200, True), (1, 500, False)]
    assert attempts[1]["error"] == "HTTP 500"
    assert attempts[0]["event_id"] == event["id"]


def test_only_subscribed_event_types_are_delivered(hook_client, hook_config, store, receiver):
    hook_client.post("/v1/webhooks", headers=headers("admin"), json={
        "url": receiver.url, "events": ["speaker.merged"], "secret": SECRET})
    quote_article(hook_client, store, "The dam is safe", "Maria Okafor")
    build_worker(hook_config).work(burst=True, logging_level="WARNING")
    assert receiver.received == []


def test_webhooks_are_managed_by_admins(hook_client, receiver):
    body = {"url": receiver.url, "events": ["article.done"], "secret": SECRET}
    assert hook_client.post("/v1/webhooks", json=body, headers=headers("verify")).status_code == 403
    for bad in ({**body, "secret": "short"}, {**body, "events": ["claim.deleted"]}, {**body, "events": []},
                {**body, "url": "ftp://example.org/x"}, {k: v for k, v in body.items() if k != "url"}):
        assert hook_client.post("/v1/webhooks", json=bad, headers=headers("admin")).status_code == 422, bad
    hook = hook_client.post("/v1/webhooks", json=body, headers=headers("admin")).json
    listed = hook_client.get("/v1/webhooks", headers=headers("admin")).json["items"]
    assert listed == [hook]
    assert hook_client.delete(f"/v1/webhooks/{hook['id']}", headers=headers("admin")).status_code == 204
    assert hook_client.delete(f"/v1/webhooks/{hook['id']}", headers=headers("admin")).status_code == 404
    assert hook_client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=headers("admin")).status_code == 404
