"""What a request needs beyond Flask: configuration, storage, keys and the job queue.

`create_app` builds one `Runtime` per application and keeps it in ``app.extensions``, so
connections belong to an app instance (tests build many) rather than to module globals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from rq import Queue

    from .auth import ApiKeys
    from .config import Config
    from .store import Repositories

EXTENSION = "claimtrack"


@dataclass(frozen=True)
class Runtime:
    config: Config
    repos: Repositories
    api_keys: ApiKeys
    queue: Queue


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]
