"""Configuration, read once from environment variables.

Every setting has a documented default (README, "Configuration") so that `make run` works on a
fresh machine with nothing set. The API and the worker read the same variables, which is why
the queue and job settings live here rather than in `workers/`.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from .store import Options
    from .webhook_targets import AllowList

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class ConfigError(ValueError):
    """A setting could not be understood; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, minimum: float = 0.05) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum} s, got {raw!r}")
    return value


def _intervals(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        values = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"{name} must list non-negative seconds, got {raw!r}")
    return values


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "true", "yes", "1"):
        return True
    if raw in ("off", "false", "no", "0"):
        return False
    raise ConfigError(f"{name} must be on or off, got {raw!r}")


def _url_db(url: str) -> int | None:
    """The database a redis:// URL names in its path (None when it names none)."""
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else None


def _rate_limit(raw: str, name: str = "CLAIMTRACK_RATE_LIMIT") -> str:
    """A Flask-Limiter limit string ("1200 per minute", "20/second; 1000/hour"); empty or
    "off" disables rate limiting."""
    from limits import parse_many

    raw = raw.strip()
    if raw.lower() in ("", "off", "none"):
        return ""
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} is not a rate limit like '1200 per minute': {raw!r}") from None
    return raw


def redact_url(url: str) -> str:
    """A URL fit for logs and reprs: its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _webhook_allow_hosts(raw: str) -> str:
    from .webhook_targets import AllowList

    try:
        AllowList.parse(raw)
    except ValueError:
        raise ConfigError(f"CLAIMTRACK_WEBHOOK_ALLOW_HOSTS must list host names, addresses or CIDR networks, "
                          f"got {raw!r}") from None
    return raw


@dataclass(frozen=True, repr=False)
class Config:
    """Settings shared by the API and the worker.

    Build it with `Config.from_env()`; tests build it directly with `Config(...)` or
    `config.replace(...)` so that no test depends on the environment of the machine.
    """

    redis_url: str = DEFAULT_REDIS_URL
    #: CLAIMTRACK_REDIS_CLUSTER: REDIS_URL names one node of a Redis Cluster holding the store.
    redis_cluster: bool = False
    #: CLAIMTRACK_QUEUE_URL: the Redis RQ's queues live on; empty means REDIS_URL's server,
    #: which a cluster cannot be (RQ's transactions span hash slots).
    queue_url: str = ""
    api_keys: str = ""
    queue_name: str = "claimtrack"
    job_timeout: int = 60
    job_timeout_per_1k_chars: int = 1
    reconcile_after: int = 120
    job_retries: int = 3
    retry_intervals: tuple[int, ...] = (5, 30, 120)
    job_heartbeat: int = 10
    maintenance_interval: int = 30
    max_text_chars: int = 200_000
    max_body_bytes: int = 2 * 1024 * 1024
    request_timeout: int = 15
    idempotency_ttl: int = 24 * 3600
    spacy_model: str | None = None
    attribution_model: bool = False
    #: CLAIMTRACK_REDIS_TIMEOUT: the longest one Redis call may take before a request answers 503.
    redis_socket_timeout: float = 2.0
    rate_limit: str = "1200 per minute"
    auth_failure_limit: str = "30 per minute"
    trusted_proxies: int = 0
    event_retention_days: int = 7
    revision_retention_days: int = 365
    webhook_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)
    webhook_timeout: int = 10
    webhook_allow_hosts: str = ""
    reviewer_name: str = "Claimtrack"
    reviewer_url: str = ""
    search_index: bool = True
    stall_after: int = 90
    metrics: bool = True
    metrics_port: int = 0
    metrics_addr: str = "127.0.0.1"
    console_session_hours: int = 12

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Config":
        env = os.environ if env is None else env
        return cls(
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            redis_cluster=_switch(env, "CLAIMTRACK_REDIS_CLUSTER", False),
            queue_url=(env.get("CLAIMTRACK_QUEUE_URL") or "").strip(),
            api_keys=env.get("CLAIMTRACK_API_KEYS", ""),
            queue_name=env.get("CLAIMTRACK_QUEUE") or "claimtrack",
            job_timeout=_int(env, "CLAIMTRACK_JOB_TIMEOUT", 60, minimum=1),
            job_timeout_per_1k_chars=_int(env, "CLAIMTRACK_JOB_TIMEOUT_PER_1K_CHARS", 1),
            reconcile_after=_int(env, "CLAIMTRACK_RECONCILE_AFTER", 120, minimum=1),
            job_retries=_int(env, "CLAIMTRACK_JOB_RETRIES", 3),
            retry_intervals=_intervals(env, "CLAIMTRACK_RETRY_INTERVALS", (5, 30, 120)),
            job_heartbeat=_int(env, "CLAIMTRACK_JOB_HEARTBEAT", 10, minimum=1),
            maintenance_interval=_int(env, "CLAIMTRACK_MAINTENANCE_INTERVAL", 30, minimum=1),
            max_text_chars=_int(env, "CLAIMTRACK_MAX_TEXT_CHARS", 200_000, minimum=1),
            max_body_bytes=_int(env, "CLAIMTRACK_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024),
            request_timeout=_int(env, "CLAIMTRACK_REQUEST_TIMEOUT", 15, minimum=1),
            idempotency_ttl=_int(env, "CLAIMTRACK_IDEMPOTENCY_TTL", 24 * 3600, minimum=1),
            spacy_model=env.get("CLAIMTRACK_SPACY_MODEL") or None,
            attribution_model=_switch(env, "CLAIMTRACK_ATTRIBUTION_MODEL", False),
            redis_socket_timeout=_seconds(env, "CLAIMTRACK_REDIS_TIMEOUT", 2.0),
            rate_limit=_rate_limit(env.get("CLAIMTRACK_RATE_LIMIT", "1200 per minute")),
            auth_failure_limit=_rate_limit(env.get("CLAIMTRACK_AUTH_FAILURE_LIMIT", "30 per minute"),
                                           "CLAIMTRACK_AUTH_FAILURE_LIMIT"),
            trusted_proxies=_int(env, "CLAIMTRACK_TRUSTED_PROXIES", 0),
            event_retention_days=_int(env, "CLAIMTRACK_EVENT_RETENTION_DAYS", 7, minimum=1),
            revision_retention_days=_int(env, "CLAIMTRACK_REVISION_RETENTION_DAYS", 365, minimum=1),
            webhook_retry_intervals=_intervals(
                env, "CLAIMTRACK_WEBHOOK_RETRY_INTERVALS", (10, 60, 300, 1800, 7200)),
            webhook_timeout=_int(env, "CLAIMTRACK_WEBHOOK_TIMEOUT", 10, minimum=1),
            webhook_allow_hosts=_webhook_allow_hosts(env.get("CLAIMTRACK_WEBHOOK_ALLOW_HOSTS", "")),
            reviewer_name=env.get("CLAIMTRACK_REVIEWER_NAME") or "Claimtrack",
            reviewer_url=env.get("CLAIMTRACK_REVIEWER_URL") or "",
            search_index=_switch(env, "CLAIMTRACK_SEARCH_INDEX", True),
            stall_after=_int(env, "CLAIMTRACK_STALL_AFTER", 90, minimum=1),
            metrics=_switch(env, "CLAIMTRACK_METRICS", True),
            metrics_port=_int(env, "CLAIMTRACK_METRICS_PORT", 0),
            metrics_addr=env.get("CLAIMTRACK_METRICS_ADDR") or "127.0.0.1",
            console_session_hours=_int(env, "CLAIMTRACK_CONSOLE_SESSION_HOURS", 12, minimum=1),
        )

    def __post_init__(self) -> None:
        if self.redis_cluster and not self.queue_url:
            raise ConfigError("CLAIMTRACK_QUEUE_URL must name a single Redis server (or Sentinel) for the job "
                              "queues when CLAIMTRACK_REDIS_CLUSTER is on: RQ does not run on a Redis Cluster")
        if self.redis_cluster and _url_db(self.redis_url) not in (None, 0):
            raise ConfigError(f"REDIS_URL names database {_url_db(self.redis_url)}; a Redis Cluster has only "
                              "database 0")
        if self.redis_cluster and self.redis_url.startswith("unix:"):
            raise ConfigError("REDIS_URL must be redis:// or rediss:// (one node of the cluster) when "
                              "CLAIMTRACK_REDIS_CLUSTER is on")

    @property
    def queue_redis_url(self) -> str:
        """The Redis RQ uses: CLAIMTRACK_QUEUE_URL, or the store's server when it is not set."""
        return self.queue_url or self.redis_url

    def __repr__(self) -> str:
        """Every setting but secrets: API key secrets and a Redis password show as ***."""
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["api_keys"] = ",".join(
            f"{parts[0]}:***:{parts[-1]}" if len(parts) == 3 else "***"
            for parts in (item.strip().split(":") for item in self.api_keys.split(",") if item.strip()))
        shown["redis_url"] = redact_url(self.redis_url)
        shown["queue_url"] = redact_url(self.queue_url)
        return "Config(" + ", ".join(f"{name}={value!r}" for name, value in shown.items()) + ")"

    def webhook_allow_list(self) -> "AllowList":
        from .webhook_targets import AllowList

        return AllowList.parse(self.webhook_allow_hosts)

    def store_options(self) -> "Options":
        from .store import Options

        return Options(
            event_retention=self.event_retention_days * 24 * 3600,
            revision_retention=self.revision_retention_days * 24 * 3600,
            webhook_retry_intervals=self.webhook_retry_intervals,
            search_index=self.search_index,
        )

    def replace(self, **changes: Any) -> "Config":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **changes)
