"""The Store: every read and write of Claimtrack's records (key layout in `layout.py`).

Writes that touch several keys run as optimistic transactions: WATCH what the decision
depends on, read, then queue every write (and its events) in one MULTI/EXEC; if anything
watched changed meanwhile, start again. Readers therefore never see half a change, and two
writers never both act on the same stale read.

`Store` only assembles the mixins, one per concept, that hold those reads and writes
(articles.py, extraction_jobs.py, claim_saving.py, claim_reading.py, verdicts.py,
speaker_registry.py, events.py, webhooks.py, api_keys.py, sessions.py), and owns the
connections and settings they share.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from .api_keys import ApiKeyStore
from .articles import ArticleStore
from .claim_reading import ClaimReadingStore
from .claim_saving import ClaimSavingStore
from .events import EventStore, Hook
from .extraction_jobs import ExtractionJobStore
from .layout import REVISION_RETENTION
from .scripts import PAGE
from .sessions import SessionStore
from .speaker_registry import SpeakerRegistryStore
from .verdicts import VerdictStore
from .webhooks import DELIVERY_QUEUE, WebhookStore


@dataclass(frozen=True)
class Options:
    """Store settings that come from configuration."""

    event_retention: int = 7 * 24 * 3600
    webhook_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)
    search_index: bool = True
    revision_retention: int = REVISION_RETENTION


class Store(ExtractionJobStore, ClaimSavingStore, ClaimReadingStore, VerdictStore, ArticleStore,
            SpeakerRegistryStore, EventStore, WebhookStore, ApiKeyStore, SessionStore):
    """Claimtrack's records in Redis. One instance per pair of connection pools."""

    def __init__(self, redis: Redis, raw: Redis, options: Options | None = None) -> None:
        """`redis` decodes responses to str for our records; `raw` returns bytes, as RQ
        needs, and serves the job queues. Both talk to the same server."""
        self.redis = redis
        self.raw = raw
        self.options = options or Options()
        self._page = redis.register_script(PAGE)
        self._hooks_cache: tuple[float, list[Hook]] = (0.0, [])
        self._deliveries = Queue(DELIVERY_QUEUE, connection=raw, serializer=JSONSerializer)
        #: Tests only: called between a transaction's reads and its MULTI/EXEC (see `base.transaction`).
        self.before_exec: Callable[[str], None] | None = None

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 5.0, options: Options | None = None) -> "Store":
        settings = {
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
    def for_connection(cls, raw: Redis, options: Options | None = None) -> "Store":
        """A store sharing `raw`'s server and settings (RQ hands jobs a bytes client)."""
        kwargs = {**raw.connection_pool.connection_kwargs, "decode_responses": True}
        pool = type(raw.connection_pool)(connection_class=raw.connection_pool.connection_class, **kwargs)
        return cls(Redis(connection_pool=pool), raw, options)

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def _smallest_first(self, indexes: list[str]) -> list[str]:
        """Indexes to intersect, the smallest first: it is walked, the others only probed
        (O(1) each), so a page costs what the most selective filter leaves."""
        if len(indexes) < 2:
            return indexes
        with self.redis.pipeline(transaction=False) as pipe:
            for key in indexes:
                pipe.zcard(key)
            sizes = pipe.execute()
        return [k for _, k in sorted(zip(sizes, indexes))]
