"""One receiver that times out must not hold up the others (issue 23): a stalled receiver is
paused after its first timeout, its deliveries are put off (not lost), and a healthy receiver
subscribed to the same events gets every event within seconds."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import headers
from workers.worker import build_worker

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ARTICLES = 12
TIMEOUT = 2  # CLAIMTRACK_WEBHOOK_TIMEOUT here: unpaused, the stalled receiver costs 12 x 2 s


class Endpoint:
    """A receiver that answers 204 at once, or (`stalled`) never, and notes when each came."""

    def __init__(self, stalled: bool) -> None:
        self.arrivals: list[float] = []
        self.release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.arrivals.append(time.monotonic())
                if stalled:
                    endpoint.release.wait()
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints() -> Iterator[tuple[Endpoint, Endpoint]]:
    stalled, healthy = Endpoint(stalled=True), Endpoint(stalled=False)
    yield stalled, healthy
    stalled.close()
    healthy.close()


def test_a_stalled_receiver_does_not_hold_up_a_healthy_one(config, store, endpoints):
    hook_config = config.replace(webhook_retry_intervals=(0, 0), webhook_allow_hosts="127.0.0.1", webhook_timeout=TIMEOUT)
    from service import create_app

    client = create_app(hook_config).test_client()
    stalled, healthy = endpoints
    hooks = {}
    for name, endpoint in (("stalled", stalled), ("healthy", healthy)):
        created = client.post("/v1/webhooks", headers=headers("admin"), json={
            "url": endpoint.url, "events": ["article.queued"], "secret": SECRET})
        assert created.status_code == 201
        hooks[name] = created.json["id"]
    for n in range(ARTICLES):
        assert client.post("/v1/articles", json={"text": f"Article {n}."}, headers=headers("ingest")).status_code == 202

    started = time.monotonic()
    build_worker(hook_config, serve="webhooks").work(burst=True, logging_level="WARNING")

    assert len(healthy.arrivals) == ARTICLES
    late = max(healthy.arrivals) - started
    # Unpaused, the last healthy delivery waits behind 12 timeouts (24 s); paused, behind one.
    assert late < 10, f"the healthy receiver got its last event {late:.1f} s after the workers started"
    assert len(stalled.arrivals) == 1, "one attempt timed out; the rest wait for the end of the pause"
    # Nothing is lost: every delivery to the stalled receiver is scheduled for later.
    queue = store.webhooks.delivery_queue
    waiting = [queue.fetch_job(job_id) for job_id in queue.scheduled_job_registry.get_job_ids()]
    assert sorted(j.args[1]["data"]["article_id"] for j in waiting if j.args[0] == hooks["stalled"]) == sorted(
        a["id"] for a in client.get("/v1/articles?limit=100", headers=headers("read")).json["items"])
    log = client.get(f"/v1/webhooks/{hooks['stalled']}/deliveries", headers=headers("admin")).json["items"]
    assert [(e["ok"], e["error"]) for e in log] == [(False, "timeout")]


def test_a_paused_receiver_is_tried_by_one_delivery_at_a_time_and_a_quick_answer_ends_the_pause(store, redis):
    hook = store.webhooks.add("http://127.0.0.1:9/hook", ["article.queued"], SECRET)["id"]
    assert store.webhooks.delivery_gate(hook, probe_seconds=15) is None, "not paused"
    until = store.webhooks.note_receiver(hook, timed_out=True)
    assert until is not None and store.webhooks.delivery_gate(hook, probe_seconds=15) == pytest.approx(until)
    assert store.webhooks.note_receiver(hook, timed_out=True) - time.time() > until - time.time() + 20, "doubled"
    redis.hset(f"ct:webhook:{hook}:pause", "until", time.time() - 1)  # the pause is over
    assert store.webhooks.delivery_gate(hook, probe_seconds=15) is None, "one delivery tries the receiver"
    assert store.webhooks.delivery_gate(hook, probe_seconds=15) > time.time() + 10, "the others wait meanwhile"
    store.webhooks.note_receiver(hook, timed_out=False)
    assert store.webhooks.delivery_gate(hook, probe_seconds=15) is None
    assert not redis.exists(f"ct:webhook:{hook}:pause", f"ct:webhook:{hook}:probe")
