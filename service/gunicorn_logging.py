"""gunicorn's own log lines (start-up, worker boots and exits, errors) as JSON objects, in
the same shape as the app's (`service.logs.JsonFormatter`).

gunicorn_conf names `JsonLogger` as ``logger_class``; gunicorn builds its handlers as usual
and this swaps their formatter, so every line on stderr parses as JSON.
"""
from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .logs import JsonFormatter


class JsonLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(JsonFormatter())
