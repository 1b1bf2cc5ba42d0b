"""One webhook delivery attempt over HTTP: checked, signed, bounded in time, never redirected.

- The URL is checked again here, on the addresses its host resolves to now
  (`service.webhook_targets`), and the connection goes to an address that was checked, so a
  name re-pointed at an internal address after registration reaches nothing.
- Signed the Standard Webhooks way (https://www.standardwebhooks.com, the `standardwebhooks`
  package): ``webhook-id`` (the event id, the same on every retry), ``webhook-timestamp``
  (seconds, this attempt) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of
  id.timestamp.body>``; two signatures, space-separated, while a rotated secret's predecessor
  is still honoured). A receiver that checks the timestamp refuses replays.
- ``timeout`` bounds the whole attempt, connecting and reading included: a receiver that
  answers a byte at a time cannot stretch it, and an answer not complete (head and body) when
  it runs out is a timeout, a failed attempt, even if its status line said 200.
- Redirects are not followed (a 3xx is a failed attempt), and outcomes are coarse
  ("connection failed", "timeout", "HTTP 500", "address not allowed"): the log must not
  become a port scanner of the receiver's network.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from standardwebhooks import Webhook

from service.webhook_targets import AllowList, NotPublic, RefusedTarget, Target, check

USER_AGENT = "Claimtrack-Webhooks/2"
#: Most of a receiver's answer body read (and thrown away) before the attempt counts as done.
RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _signer(secret: str) -> Webhook:
    """A `whsec_` secret is base64 (Standard Webhooks); a secret registered before secrets took
    that form signs with its UTF-8 bytes (receivers: ``Webhook(secret.encode())``)."""
    return Webhook(secret if secret.startswith("whsec_") else secret.encode("utf-8"))


def signature_headers(event_id: str, body: bytes, secrets: Sequence[str], at: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed with every secret given."""
    moment = at or datetime.now(timezone.utc)
    text = body.decode("utf-8")
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(_signer(secret).sign(event_id, moment, text) for secret in secrets),
    }


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to one checked address; the Host header and the TLS name are the URL's host."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address
        self.tls = target.scheme == "https"

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, allow: AllowList) -> Outcome:
    """POST `body` to `url` once; never raises for what the receiver or the network does."""
    deadline = time.monotonic() + timeout
    try:
        target = check(url, allow)
    except NotPublic:
        return Outcome(None, "address not allowed")
    except RefusedTarget:  # the name does not resolve (any more)
        return Outcome(None, "connection failed")
    timed_out = threading.Event()
    for address in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Outcome(None, "timeout")
        connection = _PinnedConnection(target, str(address), timeout=remaining)

        def expire(connection: _PinnedConnection = connection) -> None:
            timed_out.set()
            if connection.sock is not None:
                try:
                    connection.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(remaining, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("POST", target.path, body=body, headers={
                "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
            response = connection.getresponse()
            # The attempt is complete once the whole answer is in: its head (the watchdog's
            # shutdown ends a head sent a line at a time early, with a status already read) and
            # its body (read up to RESPONSE_BYTES and dropped).
            response.read(RESPONSE_BYTES)
            if timed_out.is_set():
                return Outcome(None, "timeout")
            return Outcome(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
        except (OSError, http.client.HTTPException, ValueError) as failure:
            if timed_out.is_set() or isinstance(failure, TimeoutError):
                return Outcome(None, "timeout")
            # Connecting failed: the next address of the name, if any, is tried.
            if connection.sock is not None:
                return Outcome(None, "connection failed")
        finally:
            watchdog.cancel()
            connection.close()
    return Outcome(None, "connection failed")
