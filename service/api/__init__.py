"""The HTTP API: one blueprint per resource, each module holding its schemas."""
from __future__ import annotations

from flask_smorest import Api

from . import articles, claims, health, keys


def register(api: Api) -> None:
    for module in (health, articles, claims, keys):
        api.register_blueprint(module.blp)
