"""The review console: server-rendered pages for fact-checkers under ``/console``.

`install` adds it to an app: the blueprint (views.py), server-side sessions in Redis
(sessions.py) and Flask-WTF's CSRF check on every POST under ``/console``. The JSON API is
untouched: it neither reads sessions nor checks CSRF tokens (it authenticates each request
by its API key, which a browser never sends on its own).
"""
from __future__ import annotations

from flask import Flask

from ..config import Config
from .sessions import RedisSessionInterface
from . import review  # noqa: F401  (its views join the blueprint)
from .views import bp, csrf

__all__ = ["install"]


def install(app: Flask, config: Config) -> None:
    app.session_interface = RedisSessionInterface(config.console_session_hours * 3600)
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # views.check_csrf checks the console's POSTs only
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
