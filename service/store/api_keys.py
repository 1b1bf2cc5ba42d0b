"""Managed API keys: the ones created through /v1/keys, beside those in the configuration.

`ApiKeyRepository` holds them. A key's record is stored under a digest of its secret, so that checking a
request's key is one read and a copy of the database holds no usable key; the key's id is
random for the same reason.

A key found is remembered by the process for `CACHE_SECONDS`, so that a client's requests
do not each read its key: a key revoked through this process stops working at once, one
revoked through another API process (or straight in Redis) within `CACHE_SECONDS`. Unknown
keys are not remembered (a new key works at once everywhere, and guesses cannot fill the
memory); they are slowed by the failed-authentication limit instead.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from . import records
from .connection import Connection
from .layout import Keys
from .values import new_id, utcnow


#: How long a process keeps using a managed key it has found without reading it again: the
#: longest a key revoked through another API process keeps working (docs/operations.md).
CACHE_SECONDS = 5.0
#: Keys remembered at most (a process serves a handful of clients; past this it starts over).
CACHE_ENTRIES = 1024


class ApiKeyRepository:
    """Managed API keys."""

    def __init__(self, conn: Connection, cache_seconds: float = CACHE_SECONDS) -> None:
        self.redis = conn.redis
        self.cache_seconds = cache_seconds
        self._found: dict[str, tuple[float, dict[str, Any]]] = {}

    def add(self, name: str, roles: Sequence[str], secret_digest: str) -> dict[str, Any]:
        key_id = new_id("key")  # random: an id must say nothing about its secret
        record = {"id": key_id, "name": name, "roles": "+".join(roles), "created_at": utcnow()}
        with self.redis.pipeline() as pipe:
            pipe.hset(Keys.api_key(secret_digest), mapping=record)
            pipe.hset(Keys.api_keys, key_id, secret_digest)
            pipe.execute()
        return records.api_key(record)

    def find(self, secret_digest: str) -> dict[str, Any] | None:
        """The key with this digest, from this process's memory when it was found less than
        `cache_seconds` ago (see the module's docstring)."""
        now = time.monotonic()
        remembered = self._found.get(secret_digest)
        if remembered is not None and remembered[0] > now:
            return {**remembered[1], "roles": list(remembered[1]["roles"])}
        raw = self.redis.hgetall(Keys.api_key(secret_digest))
        if not raw:
            self._found.pop(secret_digest, None)
            return None
        record = records.api_key(raw)
        if self.cache_seconds > 0:
            if len(self._found) >= CACHE_ENTRIES:
                self._found.clear()
            self._found[secret_digest] = (now + self.cache_seconds, {**record, "roles": list(record["roles"])})
        return record

    def list(self) -> "list[dict[str, Any]]":
        digests = self.redis.hvals(Keys.api_keys)
        with self.redis.pipeline(transaction=False) as pipe:
            for d in digests:
                pipe.hgetall(Keys.api_key(d))
            return sorted((records.api_key(raw) for raw in pipe.execute() if raw), key=lambda k: k["created_at"])

    def delete(self, key_id: str) -> bool:
        secret_digest = self.redis.hget(Keys.api_keys, key_id)
        if secret_digest is None:
            return False
        with self.redis.pipeline() as pipe:
            pipe.delete(Keys.api_key(secret_digest))
            pipe.hdel(Keys.api_keys, key_id)
            pipe.execute()
        self._found.pop(secret_digest, None)
        return True
