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
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry

from .base import transaction
from .layout import REVISION_RETENTION
from .scripts import PAGE, READ_CLAIMS, SIZES


@dataclass(frozen=True)
class Options:
    """Store settings that come from configuration."""

    event_retention: int = 7 * 24 * 3600
    webhook_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)
    search_index: bool = True
    revision_retention: int = REVISION_RETENTION


#: `Connection.from_url`'s default `raw_timeout`: the records' client's.
SAME = -1.0


def client_settings(socket_timeout: float | None) -> dict[str, Any]:
    """What every Claimtrack Redis client is made with: one timeout for connecting, reading
    and writing, and no retries (see `Connection.from_url`)."""
    return {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout,
            "health_check_interval": 30, "retry": Retry(NoBackoff(), 0)}


def client(url: str, decode: bool, socket_timeout: float | None) -> Redis:
    return Redis.from_url(url, decode_responses=decode, **client_settings(socket_timeout))


class Connection:
    """Connections to one Redis server, and what the repositories over it share."""

    def __init__(self, redis: Redis, raw: Redis, options: Options | None = None) -> None:
        self.redis = redis
        self.raw = raw
        self.options = options or Options()
        self.page = redis.register_script(PAGE)
        self.read_claims = redis.register_script(READ_CLAIMS)
        self.sizes = redis.register_script(SIZES)
        #: Tests only: called between a transaction's reads and its MULTI/EXEC (see `base.transaction`).
        self.before_exec: Callable[[str], None] | None = None

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 2.0, options: Options | None = None,
                 raw_timeout: float | None = SAME) -> "Connection":
        """Both clients of `url`. `socket_timeout` bounds every connect, read and write of
        the records' client; `raw_timeout` the queues' client's (`SAME`: the same, by default; a worker
        passes None, since RQ's blocking dequeue waits longer than any request may).

        Neither client retries a failed call (redis-py retries three times by default): with
        a frozen Redis that turned a 2 s timeout into 10 s of waiting. A caller that wants
        another try (a worker's next job, a client's next request) makes it."""
        return cls(client(url, True, socket_timeout),
                   client(url, False, socket_timeout if raw_timeout == SAME else raw_timeout), options)

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
