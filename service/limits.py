"""Rate limits (Flask-Limiter and `limits`, counted in Redis so that every API process shares
them).

Limits apply to `/v1` only; probes and documentation are never limited.

- ``CLAIMTRACK_RATE_LIMIT``: requests per API key. A request is counted against a digest of its
  key once the key has authenticated (the secret itself is never a Redis key), and against the
  client address otherwise, so a stream of wrong keys shares one counter, not one each. An
  address locked out by the failure limit (below) is counted as an address whatever key it
  sends, so its answers (429 and rate-limit headers) are the same for a right and a wrong key.
- ``CLAIMTRACK_AUTH_FAILURE_LIMIT``: failed authentications (a key that is presented but
  unknown) per client address. Past it, every request from that address that presents a key is
  answered 429 without the key being checked, until the window has room again: guessing keys
  is slowed to that rate, whatever the guesses are.

The client address is the peer's, or, with ``CLAIMTRACK_TRUSTED_PROXIES=N``, the one the N-th
proxy from the API appended to ``X-Forwarded-For`` (Werkzeug's ProxyFix). An exceeded limit
answers 429 problem+json with ``Retry-After``; no other answer but a 503 carries that header.

During a Redis outage both limits fail closed: a request whose limit cannot be counted is
answered 503 (with ``Retry-After``) at once, within one ``CLAIMTRACK_REDIS_TIMEOUT``, instead of
going on to the store to wait for a second timeout there; nothing is served uncounted, and the
outage is logged once per interval (`problems.OutageLog`), without tracebacks.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.client import Pipeline
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth import (AUTH_FAILURES, authenticated, check_and_prefetch, client_address, presented_secret, secret_digest,
                   view_prefetch)
from .config import Config
from .problems import TYPES, abort, problem
from .store.connection import client_settings



def storage_uri(redis_url: str, cluster: bool = False) -> str:
    """REDIS_URL as the `limits` library names it: a unix socket (`make run`'s private Redis)
    is ``redis+unix://`` there, a Redis Cluster (CLAIMTRACK_REDIS_CLUSTER) ``redis+cluster://``.
    The counters live in the store, beside what a request reads with them (`auth.requires`
    reads the failed-authentication check in the same round trip as the claim it serves)."""
    if cluster:
        return "redis+cluster://" + redis_url.split("://", 1)[1]
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


def _client_key() -> str:
    """The counter a request is charged to. An address locked out by the failure limit is
    charged as an address whatever key it sends, and the key is not even looked up: were the
    right key charged to its own counter, its 429 would carry that counter's headers, and a
    guesser could tell it from the wrong ones."""
    secret = presented_secret()
    address = client_address()
    failures = current_app.extensions.get(AUTH_FAILURES)
    prefetch = view_prefetch()
    if secret and failures is not None and prefetch is not None and not failures.known(address):
        check_and_prefetch(failures, address, prefetch, request.view_args or {})
    locked_out = failures is not None and failures.locked_out(address) is not None
    if secret and not locked_out and authenticated() is not None:
        return "key:" + secret_digest(secret)[:32]
    return "addr:" + address


def _too_many(error: RateLimitExceeded) -> Response:
    return problem(
        429,
        f"This API key (or, without a valid key, this client address) exceeded its rate limit "
        f"({error.description}); retry after Retry-After seconds.",
        type=TYPES["rate_limited"],
    )


def _only_limits_retry(response: Response) -> Response:
    """Flask-Limiter adds Retry-After to every answer it counts; it means something only on a
    429 or a 503."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


class AuthFailures:
    """Failed authentications per client address, in a moving window in Redis.

    Failures are counted by `limits`' moving window (a list of failure times per address and
    limit, newest first, never longer than the limit's count), and read back with one LINDEX
    per limit: the entry at the limit's count is inside the window exactly when the window is
    full. A plain command rather than `limits`' Lua, so that the guard of a view can send it
    in the same round trip as the view's own read (`auth.requires`'s `prefetch`)."""

    def __init__(self, config: Config) -> None:
        self.limits: list[RateLimitItem] = parse_many(config.auth_failure_limit)
        self.storage = storage_from_string(storage_uri(config.redis_url, config.redis_cluster), key_prefix="ct:authfail",
                                           **client_settings(config.redis_socket_timeout))
        self.strategy = MovingWindowRateLimiter(self.storage)

    def known(self, address: str) -> bool:
        """Whether this request already knows if `address` is locked out."""
        cached = g.get("auth_lockout")
        return cached is not None and cached[0] == address

    def queue_check(self, pipe: Pipeline, address: str) -> Callable[[Sequence[Any]], None]:
        """Queue on `pipe` what says whether `address` is locked out; returns what settles
        it (for `locked_out`) from the replies of those commands."""
        items = [(item, self.storage.prefixed_key(item.key_for(address))) for item in self.limits]
        for item, key in items:
            pipe.lindex(key, item.amount - 1)

        def settle(replies: Sequence[Any]) -> None:
            now = time.time()
            exceeded = []
            for (item, _), reply in zip(items, replies):
                if isinstance(reply, Exception):
                    raise reply
                if reply is not None and float(reply) >= now - item.get_expiry():
                    exceeded.append((item, float(reply) + item.get_expiry()))
            g.auth_lockout = (address, (exceeded[0][0], max(reset for _, reset in exceeded)) if exceeded else None)

        return settle

    def locked_out(self, address: str) -> tuple[RateLimitItem, float] | None:
        """(the limit used up, when the window has room again) while `address` has used up its
        failures, else None. Asked by the rate limiter's key function and by the guard of the
        view, so it is read once per request. Redis down: its error, a 503 (limits fail closed)."""
        if not self.known(address):
            with self.storage.get_connection().pipeline(transaction=False) as pipe:
                settle = self.queue_check(pipe, address)
                settle(pipe.execute(raise_on_error=False))
        return g.auth_lockout[1]  # type: ignore[no-any-return]

    def refuse_if_exceeded(self, address: str) -> None:
        """429 while `address` has used up its failures (Redis down: its error, a 503)."""
        found = self.locked_out(address)
        if found is None:
            return
        item, reset = found
        abort(429, f"Too many failed authentications from this address ({item}); retry after "
                   "Retry-After seconds.", type=TYPES["rate_limited"],
              headers={"Retry-After": str(max(1, int(reset - time.time()) + 1))})

    def record(self, address: str) -> None:
        g.pop("auth_lockout", None)
        for item in self.limits:
            self.strategy.hit(item, address)


def install(app: Flask, config: Config) -> Limiter | None:
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies)  # type: ignore[method-assign]
    if config.auth_failure_limit:
        app.extensions[AUTH_FAILURES] = AuthFailures(config)
    if not config.rate_limit:
        return None
    app.register_error_handler(RateLimitExceeded, _too_many)
    # Registered before the limiter's own hook, so that it runs after it.
    app.after_request(_only_limits_retry)
    return Limiter(
        key_func=_client_key,
        app=app,
        storage_uri=storage_uri(config.redis_url, config.redis_cluster),
        storage_options=client_settings(config.redis_socket_timeout),
        strategy="moving-window",
        default_limits=[config.rate_limit],
        default_limits_exempt_when=lambda: not request.path.startswith("/v1/"),
        headers_enabled=True,
        retry_after="delta-seconds",
        # Fail closed: a Redis error reaches the app's handler, which answers 503 (module docstring).
        swallow_errors=False,
        key_prefix="ct:ratelimit",
    )


