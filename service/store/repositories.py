"""`Repositories`: every repository over one connection, wired once.

The API builds one per app (`create_app`), a worker one per worker process (`build_worker`),
and each hands it on explicitly: a request finds it in its app's `Runtime`, a job gets it from
the worker running it (`workers.jobs`), the CLI from its app. Nothing is cached at module level.

Which class holds what:

==================  ==========================================================================
articles            `ArticleRepository`: new articles with their job, reading, listing,
                    revisions, re-extraction, takedown
jobs                `ExtractionJobs`: an article's way through its extraction job, reconciliation
claims              `ClaimRepository`: an extraction's claims saved; claims read and listed
verdicts            `VerdictRepository`: verification, its propagation, each claim's history
clusters            `ClusterRepository`: links, splits, a cluster's appearances, suggestions
speakers            `SpeakerRepository`: the speaker registry read, searched, renamed, merged
events              `Feed`: the change feed, and the emitter every write queues events with
webhooks            `WebhookRepository`: subscriptions, secrets, deliveries and their queue
api_keys            `ApiKeyRepository`: keys managed through /v1/keys
sessions            `SessionRepository`: review-console sessions and the console's secret
corrections         `CorrectionRepository`: reviewers' corrections of claims, claims they added
reviews             `ReviewRepository`: articles marked reviewed, and each article's marks
assignments         `AssignmentRepository`: which reviewer each claim is assigned to
==================  ==========================================================================
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from redis import Redis

from .api_keys import ApiKeyRepository
from .articles import ArticleRepository
from .assignments import AssignmentRepository
from .claims import ClaimRepository
from .clusters import ClusterRepository
from .connection import SAME, Connection, Options
from .corrections import CorrectionRepository
from .events import Feed
from .reviews import ReviewRepository
from .extraction_jobs import ExtractionJobs
from .sessions import SessionRepository
from .speaker_registry import SpeakerRepository
from .verdicts import VerdictRepository
from .webhooks import WebhookRepository

if TYPE_CHECKING:
    from service.config import Config


class Repositories:
    """The repositories of one connection; each is given only what it needs."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.webhooks = WebhookRepository(conn)
        self.events = Feed(conn, self.webhooks)
        self.articles = ArticleRepository(conn, self.events)
        self.jobs = ExtractionJobs(conn, self.events)
        self.claims = ClaimRepository(conn, self.events)
        self.verdicts = VerdictRepository(conn, self.events)
        self.clusters = ClusterRepository(conn, self.events)
        self.speakers = SpeakerRepository(conn, self.events)
        self.api_keys = ApiKeyRepository(conn)
        self.sessions = SessionRepository(conn)
        self.corrections = CorrectionRepository(conn, self.events)
        self.reviews = ReviewRepository(conn, self.events)
        self.assignments = AssignmentRepository(conn, self.events)

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 2.0, options: Options | None = None,
                 raw_timeout: float | None = SAME, queue_url: str | None = None,
                 cluster: bool = False) -> "Repositories":
        return cls(Connection.from_url(url, socket_timeout, options, raw_timeout, queue_url, cluster))

    @classmethod
    def from_config(cls, config: "Config", socket_timeout: float | None = 2.0,
                    raw_timeout: float | None = SAME) -> "Repositories":
        """The store and queue Redis that `config` names (REDIS_URL, CLAIMTRACK_REDIS_CLUSTER,
        CLAIMTRACK_QUEUE_URL), with its store options."""
        return cls.from_url(config.redis_url, socket_timeout, config.store_options(), raw_timeout,
                            queue_url=config.queue_url or None, cluster=config.redis_cluster)

    @property
    def redis(self) -> Redis:
        """The decoding client (tests and benchmarks read keys through it)."""
        return self.conn.redis

    @property
    def raw(self) -> Redis:
        """The bytes client RQ's queues use (the queue Redis)."""
        return self.conn.raw

    def ping(self) -> bool:
        return self.conn.ping()

    def close(self) -> None:
        self.conn.close()
