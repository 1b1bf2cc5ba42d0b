"""Webhooks: real deliveries to a local HTTP server, signed, retried, logged; and the URLs
they may never reach.

Every receiver here listens on 127.0.0.1, which the tests allow with
CLAIMTRACK_WEBHOOK_ALLOW_HOSTS; the SSRF tests show that other non-public addresses are
refused before any connection is made.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from helpers import free_port, headers, quote_article
from service.webhook_targets import AllowList, RefusedTarget, check
from workers import delivery
from workers.worker import build_worker

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """An HTTP endpoint that answers with the given statuses in turn and keeps what it got."""

    def __init__(self, statuses: list[int], location: str | None = None) -> None:
        self.statuses = statuses
        self.location = location
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
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
    # The delivery job takes its settings from the worker that runs it (workers/context.py).
    return config.replace(webhook_retry_intervals=(0, 0), webhook_allow_hosts="127.0.0.1", webhook_timeout=2)


@pytest.fixture
def hook_client(hook_config):
    from service import create_app

    return create_app(hook_config).test_client()


def test_an_event_is_delivered_signed_and_retried_after_a_500(hook_client, hook_config, store, receiver):
    created = hook_client.post("/v1/webhooks", headers=headers("admin"), json={
        "url": receiver.url, "events": ["claim.verification_changed"], "secret": SECRET})
    assert created.status_code == 201
    hook = created.json
    assert hook.pop("secret") == SECRET
    _, claim = quote_article(hook_client, store, "The dam is safe", "Maria Okafor")
    hook_client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "false"}, headers=headers("verify"))

    assert build_worker(hook_config).work(burst=True, logging_level="WARNING")

    assert len(receiver.received) == 2, "one failed attempt, one retry"
    (first_headers, first_body), (second_headers, second_body) = receiver.received
    assert first_body == second_body
    event = Webhook(SECRET).verify(second_body, second_headers)
    assert Webhook(SECRET).verify(first_body, first_headers) == event
    assert first_headers["webhook-id"] == second_headers["webhook-id"] == event["id"], "stable across retries"
    assert event["type"] == "claim.verification_changed"
    assert event["data"] == {"claim_id": claim["id"], "from": "unverified", "to": "false", "by": "alice"}
    assert "X-Claimtrack-Signature" not in second_headers, "the replayable signature is gone"
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
    for bad in ({**body, "secret": "short"}, {**body, "secret": "a-long-enough-but-not-standard-secret"},
                {**body, "secret": "whsec_c2hvcnQ="}, {**body, "events": ["claim.deleted"]}, {**body, "events": []},
                {**body, "url": "ftp://example.org/x"}, {k: v for k, v in body.items() if k != "url"}):
        assert hook_client.post("/v1/webhooks", json=bad, headers=headers("admin")).status_code == 422, bad
    hook = hook_client.post("/v1/webhooks", json=body, headers=headers("admin")).json
    assert hook.pop("secret") == SECRET
    listed = hook_client.get("/v1/webhooks", headers=headers("admin")).json["items"]
    assert listed == [hook]
    assert hook_client.delete(f"/v1/webhooks/{hook['id']}", headers=headers("admin")).status_code == 204
    assert hook_client.delete(f"/v1/webhooks/{hook['id']}", headers=headers("admin")).status_code == 404
    assert hook_client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=headers("admin")).status_code == 404


# -- signing: secrets and their rotation ---------------------------------------------------------

def test_a_generated_secret_signs_and_an_admin_can_rotate_it(hook_client, hook_config, store, receiver):
    receiver.statuses = []
    created = hook_client.post("/v1/webhooks", headers=headers("admin"), json={
        "url": receiver.url, "events": ["claim.verification_changed"]})
    assert created.status_code == 201
    hook, first_secret = created.json, created.json["secret"]
    assert first_secret.startswith("whsec_")
    assert "secret" not in hook_client.get("/v1/webhooks", headers=headers("admin")).json["items"][0]
    assert hook_client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=headers("verify")).status_code == 403
    assert hook_client.post("/v1/webhooks/whk_0123456789abcdef/rotate-secret",
                            headers=headers("admin")).status_code == 404

    rotated = hook_client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=headers("admin"))
    assert rotated.status_code == 200
    second_secret = rotated.json["secret"]
    assert second_secret != first_secret and rotated.json["id"] == hook["id"]
    _, claim = quote_article(hook_client, store, "The dam is safe", "Maria Okafor")
    hook_client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "false"}, headers=headers("verify"))
    build_worker(hook_config).work(burst=True, logging_level="WARNING")

    [(got_headers, body)] = receiver.received
    assert len(got_headers["webhook-signature"].split(" ")) == 2, "both secrets sign during the grace period"
    assert Webhook(second_secret).verify(body, got_headers)["type"] == "claim.verification_changed"
    assert Webhook(first_secret).verify(body, got_headers)["type"] == "claim.verification_changed"


def test_a_signature_binds_id_timestamp_and_body():
    body = b'{"id":"evt_1","type":"article.done"}'
    signed = delivery.signature_headers("evt_1", body, [SECRET])
    assert Webhook(SECRET).verify(body, signed)
    for tampered in ({**signed, "webhook-id": "evt_2"},
                     {**signed, "webhook-timestamp": str(int(signed["webhook-timestamp"]) + 1)}):
        with pytest.raises(Exception, match="signature"):
            Webhook(SECRET).verify(body, tampered)
    replayed = delivery.signature_headers("evt_1", body, [SECRET], at=_minutes_ago(10))
    with pytest.raises(Exception, match="too old"):
        Webhook(SECRET).verify(body, replayed)


def _minutes_ago(minutes: int):
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


# -- SSRF: what webhooks may never reach ------------------------------------------------------------

FORBIDDEN = [
    "http://127.0.0.1:{redis}/", "http://localhost:1/", "http://2130706433:{redis}/", "http://0x7f000001:{redis}/",
    "http://0177.0.0.1:{redis}/", "http://127.1:{redis}/", "http://0.0.0.0:{redis}/", "http://0:{redis}/",
    "http://[::1]:{redis}/", "http://[::ffff:127.0.0.1]:{redis}/", "http://[::]/", "http://10.0.0.1/",
    "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/", "http://[fc00::1]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://240.0.0.1/",
    "http://255.255.255.255/", "http://192.0.2.1/", "http://[2002:7f00:1::1]/", "http://user:pw@93.184.215.14/",
]


def test_urls_that_reach_non_public_addresses_are_refused_at_registration(client, redis_server):
    for template in FORBIDDEN:
        url = template.format(redis=redis_server.port)
        answer = client.post("/v1/webhooks", headers=headers("admin"), json={"url": url, "events": ["article.done"]})
        assert answer.status_code == 422, url
        assert "url" in answer.json["errors"], url
    public = client.post("/v1/webhooks", headers=headers("admin"),
                         json={"url": "https://93.184.215.14/hooks", "events": ["article.done"]})
    assert public.status_code == 201, "a public address is accepted (and never called here: no worker runs)"


def test_the_allow_list_admits_named_private_receivers_only(config):
    allow = AllowList.parse("127.0.0.1, hooks.internal, 10.20.0.0/16")
    assert check("http://127.0.0.1:9/x", allow).addresses[0].exploded == "127.0.0.1"
    assert check("http://10.20.3.4/x", allow).port == 80
    for refused in ("http://127.0.0.2/", "http://10.21.0.1/", "http://2130706434/", "http://[::1]/"):
        with pytest.raises(RefusedTarget):
            check(refused, allow)


def test_delivery_checks_the_address_again_and_never_connects_to_a_refused_one(
        hook_config, store, client, monkeypatch):
    """A webhook whose host is (now) a refused address - as after a DNS record is re-pointed -
    is not called: the receiver sees no connection, and the log says why, coarsely."""
    with Receiver([]) as receiver:
        hook = store.webhooks.add(receiver.url, ["article.queued"], SECRET)
        monkeypatch.setenv("CLAIMTRACK_WEBHOOK_ALLOW_HOSTS", "")
        client.post("/v1/articles", json={"text": "Okafor said the dam was safe."}, headers=headers("ingest"))
        build_worker(hook_config.replace(webhook_allow_hosts="")).work(burst=True, logging_level="WARNING")
        assert receiver.received == []
        attempts = store.webhooks.deliveries(hook["id"])
        assert {a["error"] for a in attempts} == {"address not allowed"}
        assert all(a["status_code"] is None and not a["ok"] for a in attempts)


def test_redirects_are_not_followed(hook_client, hook_config, store):
    with Receiver([]) as target, Receiver([302, 302, 302]) as redirecting:
        redirecting.location = target.url
        hook = hook_client.post("/v1/webhooks", headers=headers("admin"), json={
            "url": redirecting.url, "events": ["article.queued"], "secret": SECRET}).json
        hook_client.post("/v1/articles", json={"text": "Okafor said the dam was safe."}, headers=headers("ingest"))
        build_worker(hook_config).work(burst=True, logging_level="WARNING")
        assert len(redirecting.received) == 3, "302 is a failure: first attempt and two retries"
        assert target.received == [], "the redirect target was never called"
        attempts = store.webhooks.deliveries(hook["id"])
        assert [a["error"] for a in attempts] == ["HTTP 302"] * 3


def test_outcomes_are_coarse_and_an_attempt_has_a_total_timeout(redis_server):
    """A closed port and an open port that does not speak HTTP (Redis) look the same; a
    receiver dribbling one byte every 0.3 s is cut off at the timeout, not per byte."""
    allow = AllowList.parse("127.0.0.1")
    body, sig = b"{}", {"webhook-id": "evt_1"}
    closed = delivery.post(f"http://127.0.0.1:{free_port()}/", body, sig, timeout=2, allow=allow)
    not_http = delivery.post(f"http://127.0.0.1:{redis_server.port}/", body, sig, timeout=2, allow=allow)
    assert closed.error == not_http.error == "connection failed"
    assert closed.status_code is None and not_http.status_code is None

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def dribble() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 100:
                if stop.is_set():
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.3)

    threading.Thread(target=dribble, daemon=True).start()
    started = time.monotonic()
    slow = delivery.post(f"http://127.0.0.1:{listener.getsockname()[1]}/", body, sig, timeout=1.5, allow=allow)
    elapsed = time.monotonic() - started
    stop.set()
    listener.close()
    assert slow.error == "timeout"
    assert elapsed < 10, f"the attempt took {elapsed:.1f}s"


def test_a_secret_registered_before_whsec_secrets_still_signs(hook_config, store, client):
    """Webhooks stored with a plain secret keep their deliveries signed (with its bytes)."""
    with Receiver([]) as receiver:
        store.webhooks.add(receiver.url, ["article.queued"], "an-old-plain-shared-secret")
        client.post("/v1/articles", json={"text": "Okafor said the dam was safe."}, headers=headers("ingest"))
        build_worker(hook_config).work(burst=True, logging_level="WARNING")
        [(got_headers, body)] = receiver.received
        assert Webhook(b"an-old-plain-shared-secret").verify(body, got_headers)["type"] == "article.queued"


class SlowHeaders:
    """A receiver that sends its status line at once, then one header line every `every`
    seconds and never ends its head; counts the deliveries it got."""

    def __init__(self, every: float = 0.5) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.every = every
        self.connections = 0
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for n in range(1000):
                    if self.stop.wait(self.every):
                        return
                    conn.sendall(b"X-Slow-%d: 1\r\n" % n)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def test_a_delivery_cut_off_by_the_timeout_is_a_failure_and_is_retried(hook_client, hook_config, store):
    """The receiver's 200 arrives at once, its head never ends: the attempt is cut at
    CLAIMTRACK_WEBHOOK_TIMEOUT (2 s here) and logged as a timeout, and the delivery will be
    tried again: RQ retries it, and as the receiver timed out, the retry waits for the end of
    the receiver's pause (scheduled, same delivery id)."""
    slow = SlowHeaders()
    try:
        hook = hook_client.post("/v1/webhooks", headers=headers("admin"), json={
            "url": slow.url, "events": ["claim.verification_changed"], "secret": SECRET}).json
        _, claim = quote_article(hook_client, store, "The dam is safe", "Maria Okafor")
        hook_client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "false"},
                          headers=headers("verify"))
        build_worker(hook_config).work(burst=True, logging_level="WARNING")
    finally:
        slow.close()
    attempts = hook_client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=headers("admin")).json["items"]
    assert [(a["attempt"], a["ok"], a["status_code"], a["error"]) for a in attempts] == [(1, False, None, "timeout")]
    assert slow.connections == 1
    queue = store.webhooks.delivery_queue
    again = [queue.fetch_job(job_id) for job_id in queue.scheduled_job_registry.get_job_ids()]
    assert [(j.args[0], j.meta["delivery_id"], j.meta["attempts"], j.retries_left) for j in again] == [
        (hook["id"], attempts[0]["delivery_id"], 1, 1)], "retried once already (put off), one retry left"
