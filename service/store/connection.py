"""The one thing every repository is given: the store's Redis, the job queues' Redis, and
the store's settings.

`redis` decodes replies to str for Claimtrack's records: a single server, or a Redis Cluster
(`RedisCluster`, REDIS_URL with CLAIMTRACK_REDIS_CLUSTER on). `raw` returns bytes, as RQ
needs, and serves the job queues: the store's own server by default, or the one
CLAIMTRACK_QUEUE_URL names (always, with a cluster: RQ does not run on one). Both use the same
timeouts, so that a frozen or unreachable Redis fails a request within `socket_timeout`
instead of hanging it.

When both are one server, a job is queued in the same MULTI/EXEC as the record that wants it
(`queue_shared`); otherwise right after that transaction commits (`base.after_commit`), and
reconciliation queues again a job that a process killed in between never queued.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis, RedisCluster
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.client import Pipeline
from redis.exceptions import ConnectionError, RedisClusterException, RedisError
from redis.retry import Retry

from . import cluster_reads, cross_slot
from .base import AFTER_COMMIT, transaction
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


class StoreCluster(RedisCluster):
    """redis-py's cluster client, with MGET and MSET of keys in several slots split by slot
    (redis-py's `mget_nonatomic` and `mset_nonatomic`) instead of refused: the store reads
    claims of many articles, speakers and clusters in one MGET, which a cluster splits per node
    (not atomic, which no reader of the store relies on; writes go through `cross_slot`).

    redis-py's client asks the cluster for its slots when it is made, and fails if no node
    answers; a single server's client connects on its first command. So that the API starts
    and answers 503 (and a worker waits) while the cluster is down, as on one server, a client
    made while no node answered asks again on its first use, and on every use until one does:
    each of those fails as an unreachable server does (ConnectionError)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._arguments = (args, kwargs)
        self._connecting = threading.Lock()
        self._reached = False
        self._builder: int | None = None
        try:
            self._build()
        except ConnectionError:
            pass  # asked again on first use

    def __getattr__(self, name: str) -> Any:
        """Only for an attribute the class and the instance lack: on a client whose cluster did
        not answer when it was made, the ones redis-py's constructor had still to set."""
        state = self.__dict__
        if name.startswith("__") or state.get("_reached", True) or state.get("_builder") == threading.get_ident():
            raise AttributeError(name)
        with self._connecting:
            if not self._reached:
                self._build()
        return object.__getattribute__(self, name)

    def _build(self) -> None:
        """redis-py's constructor, which asks a node for the cluster's slots."""
        args, kwargs = self._arguments
        self._builder = threading.get_ident()
        try:
            super().__init__(*args, **kwargs)
        except (RedisClusterException, RedisError) as error:
            raise ConnectionError(f"no node of the Redis Cluster answers: {error}") from error
        finally:
            self._builder = None
        self._reached = True

    def close(self) -> None:
        if self.__dict__.get("_reached"):
            super().close()

    def mget(self, keys: Any, *args: Any) -> list[Any]:
        return self.mget_nonatomic(keys, *args)

    def mset(self, mapping: Any) -> list[bool]:
        return self.mset_nonatomic(mapping)


def cluster_client(url: str, socket_timeout: float | None, decode: bool = True) -> RedisCluster:
    """A decoding client of the Redis Cluster one of whose nodes `url` names.

    Unlike the single server's client it retries a little (three tries, 50-400 ms apart),
    because a cluster answers MOVED and ASK while slots move and a node's failure is followed
    by a new view of the slots: those are the cluster's normal operation, not a fault to
    report. A node that stays down still fails the call after those tries."""
    settings = {**client_settings(socket_timeout), "retry": Retry(ExponentialBackoff(cap=0.4, base=0.05), 3)}
    del settings["health_check_interval"]
    return StoreCluster.from_url(url, decode_responses=decode, **settings)


class Connection:
    """The store's Redis, the queues' Redis, and what the repositories over them share."""

    def __init__(self, redis: Redis, raw: Redis, options: Options | None = None, queue_shared: bool = True) -> None:
        self.redis = redis
        self.raw = raw
        self.options = options or Options()
        #: Whether `raw` is the store's own server, so that RQ's writes may join the store's
        #: transactions (see `queue.enqueuer`); never true on a cluster.
        self.queue_shared = queue_shared
        self.cluster = isinstance(redis, RedisCluster)
        if self.cluster:
            self.page: Any = cluster_reads.Page(redis)
            self.read_claims: Any = cluster_reads.ReadClaims(redis)
            self.sizes: Any = cluster_reads.Sizes(redis)
        else:
            self.page = redis.register_script(PAGE)
            self.read_claims = redis.register_script(READ_CLAIMS)
            self.sizes = redis.register_script(SIZES)
        #: Tests only: called between a transaction's reads and its MULTI/EXEC (see `base.transaction`).
        self.before_exec: Callable[[str], None] | None = None

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 2.0, options: Options | None = None,
                 raw_timeout: float | None = SAME, queue_url: str | None = None,
                 cluster: bool = False) -> "Connection":
        """The store's client of `url` (a cluster's, with `cluster`) and the queues' client of
        `queue_url` (by default `url`; required with `cluster`). `socket_timeout` bounds every
        connect, read and write of the records' client; `raw_timeout` the queues' client's
        (`SAME`: the same, by default; a worker passes None, since RQ's blocking dequeue waits
        longer than any request may).

        Neither single-server client retries a failed call (redis-py retries three times by
        default): with a frozen Redis that turned a 2 s timeout into 10 s of waiting. A caller
        that wants another try (a worker's next job, a client's next request) makes it."""
        if cluster and not queue_url:
            raise ValueError("a store on a Redis Cluster needs a queue Redis of its own (queue_url)")
        queue_url = queue_url or url
        store = cluster_client(url, socket_timeout) if cluster else client(url, True, socket_timeout)
        raw = client(queue_url, False, socket_timeout if raw_timeout == SAME else raw_timeout)
        return cls(store, raw, options, queue_shared=not cluster and queue_url == url)

    @classmethod
    def for_client(cls, raw: Redis, options: Options | None = None) -> "Connection":
        """A connection sharing `raw`'s server and settings (RQ hands jobs a bytes client)."""
        kwargs = {**raw.connection_pool.connection_kwargs, "decode_responses": True}
        pool = type(raw.connection_pool)(connection_class=raw.connection_pool.connection_class, **kwargs)
        return cls(Redis(connection_pool=pool), raw, options)

    def transaction(self, body: Callable[[Pipeline], Any], name: str = "") -> Any:
        """`base.transaction` on this server (`cross_slot.transaction` on a cluster), with the
        tests' hook."""
        if self.cluster:
            return cross_slot.transaction(self.redis, body, self.before_exec, name, AFTER_COMMIT)  # type: ignore[arg-type]
        return transaction(self.redis, body, self.before_exec, name)

    def finish_intents(self) -> list[str]:
        """On a cluster, finish the cross-slot transactions whose process died half way
        (`cross_slot.finish_intents`); nothing to do on one server."""
        return cross_slot.finish_intents(self.redis) if self.cluster else []  # type: ignore[arg-type]

    def ping(self) -> bool:
        """Whether the store (every primary, on a cluster) and the queue Redis answer."""
        return bool(self.redis.ping()) and (self.queue_shared or bool(self.raw.ping()))

    def close(self) -> None:
        self.redis.close()
        self.raw.close()
