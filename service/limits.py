"""Per-API-key rate limits (Flask-Limiter, counted in Redis so that every API process shares
them).

Limits apply to `/v1` only; probes and documentation are never limited. A request is counted
against a digest of the key it presents (so even a wrong key is limited, and the secret itself
is never a Redis key), or against the client address when it presents none. A limit that is
exceeded answers 429 problem+json with `Retry-After`.
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded

from .auth import presented_secret, secret_digest
from .config import Config
from .problems import TYPES, problem


def _client_key() -> str:
    secret = presented_secret()
    if secret:
        return "key:" + secret_digest(secret)[:32]
    return "addr:" + (request.remote_addr or "unknown")


def _too_many(error: RateLimitExceeded) -> Response:
    return problem(
        429,
        f"This API key exceeded its rate limit ({error.description}); retry after Retry-After seconds.",
        type=TYPES["rate_limited"],
    )


def install(app: Flask, config: Config) -> Limiter | None:
    if not config.rate_limit:
        return None
    app.register_error_handler(RateLimitExceeded, _too_many)
    return Limiter(
        key_func=_client_key,
        app=app,
        storage_uri=config.redis_url,
        storage_options={"socket_timeout": config.redis_socket_timeout,
                         "socket_connect_timeout": config.redis_socket_timeout},
        strategy="moving-window",
        default_limits=[config.rate_limit],
        default_limits_exempt_when=lambda: not request.path.startswith("/v1/"),
        headers_enabled=True,
        retry_after="delta-seconds",
        # When Redis is down the request goes on, and meets the store's own 503.
        swallow_errors=True,
        key_prefix="ct:ratelimit",
    )
