"""Server-side sessions for the review console, kept in Redis through the store.

The cookie holds only a random id (``secrets.token_urlsafe(32)``); Redis holds the session
under a digest of that id, with an expiry. The cookie is HttpOnly, SameSite=Lax, limited to
``/console``, and Secure whenever the request came over HTTPS. Requests outside ``/console``
(the JSON API) never read or write a session. Signing in calls `regenerate`, so an id handed
out before sign-in (session fixation) is worthless after it.

When Redis is unavailable a session cannot be read: the request gets an empty session marked
with the error, which the console raises before any view runs (`views.storage_reachable`), so
that the app answers 503 like every other request meeting the outage.
"""
from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.datastructures import CallbackDict

from ..runtime import EXTENSION

COOKIE = "ct_console"
PATH = "/console"
#: A visitor who has not signed in yet has a session only for the sign-in form's CSRF token.
ANONYMOUS_TTL = 3600


class ConsoleSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, session_id: str | None = None) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, changed)
        self.session_id = session_id
        self.modified = False
        self.retired: str | None = None
        #: The Redis error that kept the session from being read, if any.
        self.unavailable: Exception | None = None

    def regenerate(self) -> None:
        """Give the session a new id (the old one is deleted when the response is saved)."""
        if self.session_id is not None:
            self.retired = self.session_id
        self.session_id = None
        self.modified = True


class RedisSessionInterface(SessionInterface):
    def __init__(self, ttl: int) -> None:
        self.ttl = ttl

    def open_session(self, app: Flask, request: Request) -> ConsoleSession:
        if not request.path.startswith(PATH):
            return ConsoleSession()
        session_id = request.cookies.get(COOKIE)
        if session_id and 20 <= len(session_id) <= 100:
            try:
                data = app.extensions[EXTENSION].repos.sessions.load(session_id)
            except (RedisConnectionError, RedisTimeoutError) as error:
                session = ConsoleSession(None, session_id)
                session.unavailable = error
                return session
            if data is not None:
                return ConsoleSession(data, session_id)
        return ConsoleSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ConsoleSession) or not request.path.startswith(PATH) or session.unavailable:
            return
        try:
            self._save(app, session, response)
        except (RedisConnectionError, RedisTimeoutError):
            # Redis went away during the request: its answer stands, the session is as it was.
            return

    def _save(self, app: Flask, session: ConsoleSession, response: Response) -> None:
        repos = app.extensions[EXTENSION].repos
        if session.retired is not None:
            repos.sessions.delete(session.retired)
            session.retired = None
        if not session:
            if session.session_id is not None:
                repos.sessions.delete(session.session_id)
            response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="Lax")
            return
        if not session.modified and session.session_id is not None:
            return
        if session.session_id is None:
            session.session_id = secrets.token_urlsafe(32)
        ttl = self.ttl if session.get("user") else ANONYMOUS_TTL
        repos.sessions.save(session.session_id, dict(session), ttl)
        response.set_cookie(COOKIE, session.session_id, max_age=ttl, path=PATH, httponly=True,
                            samesite="Lax", secure=request.is_secure)

