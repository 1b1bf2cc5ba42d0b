"""The HTTP API: one blueprint per resource, each module holding its schemas."""
from __future__ import annotations

from flask_smorest import Api

from . import articles, claims, clusters, corrections, events, health, keys, speakers, status, webhooks


def register(api: Api) -> None:
    for module in (health, articles, claims, corrections, clusters, speakers, events, webhooks, keys, status):
        api.register_blueprint(module.blp)
