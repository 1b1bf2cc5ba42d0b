"""The one thing every repository is given: the Redis connections of one server, and the
store's settings.

`redis` decodes replies to str for Claimtrack's records; `raw` returns bytes, as RQ needs, and
serves the job queues. Both talk to the same server with the same timeouts, so that a frozen
or unreachable Redis fails a request within `socket_timeout` instead of hanging it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.client import Pipeline

from .base import transaction
from .layout import REVISION_RETENTION
from .scripts import PAGE


@dataclass(frozen=True)
class Options:
    """Store settings that come from configuration."""

    event_retention: int = 7 * 24 * 3600
    webhook_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)
    search_index: bool = True
    revision_retention: int = REVISION_RETENTION


class Connection:
    """Connections to one Redis server, and what the repositories over it share."""

    def __init__(self, redis: Redis, raw: Redis, options: Options | None = None) -> None:
        self.redis = redis
        self.raw = raw
        self.options = options or Options()
        self.page = redis.register_script(PAGE)
        #: Tests only: called between a transaction's reads and its MULTI/EXEC (see `base.transaction`).
        self.before_exec: Callable[[str], None] | None = None

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 5.0, options: Options | None = None) -> "Connection":
        """Both clients of `url`; `socket_timeout` bounds every connect, read and write (None:
        wait forever, which only a worker's blocking dequeue wants)."""
        settings: dict[str, Any] = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            "health_check_interval": 30,
        }
        return cls(
            Redis.from_url(url, decode_responses=True, **settings),
            Redis.from_url(url, decode_responses=False, **settings),
            options,
        )

    @classmethod
    def for_client(cls, raw: Redis, options: Options | None = None) -> "Connection":
        """A connection sharing `raw`'s server and settings (RQ hands jobs a bytes client)."""
        kwargs = {**raw.connection_pool.connection_kwargs, "decode_responses": True}
        pool = type(raw.connection_pool)(connection_class=raw.connection_pool.connection_class, **kwargs)
        return cls(Redis(connection_pool=pool), raw, options)

    def transaction(self, body: Callable[[Pipeline], Any], name: str = "") -> Any:
        """`base.transaction` on this server, with the tests' hook."""
        return transaction(self.redis, body, self.before_exec, name)

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def close(self) -> None:
        self.redis.close()
        self.raw.close()
