"""Webhook deliveries run on their own workers (`make run`'s webhook pool): a receiver that
holds its connection open never delays an article, and every attempt, including those cut
short by a dead work horse or a dead worker, is in the delivery log."""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import store_env
from session import Session, alive, children, wait_for

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGhlLXdvcmtlci10ZXN0cyE="  # Standard Webhooks form


class HoldingReceiver:
    """Takes each delivery and answers it only once `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                receiver.release.wait()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the delivering process is gone

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[HoldingReceiver]:
    receiver = HoldingReceiver()
    yield receiver
    receiver.close()


def session_for(config) -> Session:
    # The receiver is on loopback; the per-attempt timeout is long, so only the test ends an attempt.
    return Session(config.redis_url, **store_env(config), CLAIMTRACK_WEBHOOK_TIMEOUT="600", CLAIMTRACK_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
                   CLAIMTRACK_WEBHOOK_RETRY_INTERVALS="0,0")


def subscribe(session: Session, url: str) -> str:
    code, hook = session.request("POST", "/v1/webhooks", {"url": url, "events": ["article.queued"],
                                                          "secret": SECRET})
    assert code == 201
    return hook["id"]


def deliveries(session: Session, wid: str) -> list[dict]:
    code, body = session.request("GET", f"/v1/webhooks/{wid}/deliveries")
    assert code == 200
    return body["items"] if isinstance(body, dict) else body


TEXT = '"The bridge will open in May," said Maria Okafor, the governor of Lakeshore.\n'


def test_a_held_delivery_never_delays_extraction(config, redis, receiver):
    with session_for(config) as session:
        wid = subscribe(session, receiver.url)
        first = session.post_article(TEXT)
        wait_for(lambda: receiver.requests == 1, "the first delivery to reach the receiver")
        second = session.post_article(TEXT.replace("May", "June"))
        # The held attempt ends only when the test releases it (its timeout is 600 s), so a
        # delivery sharing a worker with extraction would hold the second article far beyond
        # this wait (the earlier design held it for its 60 s socket timeout); a small article
        # needs a few seconds, a model load included, on the slowest machine.
        wait_for(lambda: session.status(second) == "done", "the second article while a delivery hangs",
                 timeout=45)
        assert session.status(first) == "done"
        assert receiver.requests == 1 and deliveries(session, wid) == [], "the first attempt is still open"
        receiver.release.set()
        assert session.stop() == 0


def horse_of(worker: int) -> int:
    """The worker's work horse: the child that leads its own process group."""
    def find() -> int | None:
        for pid in children(worker):
            if alive(pid) and os.getpgid(pid) == pid:
                return pid
        return None
    return wait_for(find, "the work horse")


def test_attempts_cut_short_by_a_dead_horse_or_worker_are_logged(config, redis, receiver):
    with session_for(config) as session:
        wid = subscribe(session, receiver.url)
        session.post_article(TEXT)
        wait_for(lambda: receiver.requests == 1, "the first attempt")
        worker = session.worker("webhooks")
        os.kill(horse_of(worker), signal.SIGKILL)
        wait_for(lambda: receiver.requests == 2, "the retry after the horse died")
        os.kill(session.worker("webhooks"), signal.SIGKILL)
        wait_for(lambda: receiver.requests == 3, "the retry after the worker died")
        receiver.release.set()
        log = wait_for(lambda: (lambda items: items if len(items) == 3 else None)(deliveries(session, wid)),
                       "three attempts in the log")
        assert [entry["attempt"] for entry in log] == [3, 2, 1]
        assert [entry["ok"] for entry in log] == [True, False, False]
        assert "died" in log[2]["error"] and "signal 9" in log[2]["error"], log[2]
        assert "died" in log[1]["error"], log[1]
        assert session.stop() == 0
