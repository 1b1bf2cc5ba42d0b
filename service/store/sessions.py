"""Review-console sessions and the console's signing secret.

A session id is a random token held only in the visitor's cookie; Redis holds the session
under a digest of it, so a copy of the database opens no session. Every session key expires.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from .connection import Connection
from .layout import Keys
from .values import digest


class SessionRepository:
    """The console's keys (layout.py: ``ct:console:*``)."""

    def __init__(self, conn: Connection) -> None:
        self.redis = conn.redis

    def load(self, session_id: str) -> dict[str, Any] | None:
        raw = self.redis.get(Keys.console_session(digest(session_id)))
        return json.loads(raw) if raw else None

    def save(self, session_id: str, data: Mapping[str, Any], ttl: int) -> None:
        self.redis.set(Keys.console_session(digest(session_id)), json.dumps(dict(data)), ex=ttl)

    def delete(self, session_id: str) -> None:
        self.redis.delete(Keys.console_session(digest(session_id)))

    def console_secret(self) -> str:
        """The key that signs the console's CSRF tokens, made once and shared by every API
        process (so a form rendered by one process is accepted by another)."""
        self.redis.set(Keys.console_secret, secrets.token_urlsafe(48), nx=True)
        return str(self.redis.get(Keys.console_secret))
