"""Managed API keys: the ones created through /v1/keys, beside those in the configuration.

`ApiKeyRepository` holds them. A key's record is stored under a digest of its secret, so that checking a
request's key is one read and a copy of the database holds no usable key; the key's id is
random for the same reason.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import records
from .connection import Connection
from .layout import Keys, new_id, utcnow


class ApiKeyRepository:
    """Managed API keys."""

    def __init__(self, conn: Connection) -> None:
        self.redis = conn.redis

    def add(self, name: str, roles: Sequence[str], secret_digest: str) -> dict[str, Any]:
        key_id = new_id("key")  # random: an id must say nothing about its secret
        record = {"id": key_id, "name": name, "roles": "+".join(roles), "created_at": utcnow()}
        with self.redis.pipeline() as pipe:
            pipe.hset(Keys.api_key(secret_digest), mapping=record)
            pipe.hset(Keys.api_keys, key_id, secret_digest)
            pipe.execute()
        return records.api_key(record)

    def find(self, secret_digest: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(Keys.api_key(secret_digest))
        return records.api_key(raw) if raw else None

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
        return True
