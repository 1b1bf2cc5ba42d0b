"""A worker through a Redis outage: it waits, retries and resumes, and says so once per interval.

RQ's dequeue loop and its pubsub thread already wait and retry when Redis is unreachable or
frozen, but log an error line for every attempt (several a second at first), and RQ's scheduler
process dies with a traceback, to be started again by a later maintenance pass. An outage is a
state to report, not an error per attempt: `OutageLogFilter` turns those lines into one warning
line per interval (with how many attempts failed since the last), without tracebacks, and
`OutageTolerantScheduler` waits and goes on instead of dying.
"""
from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.scheduler import RQScheduler

#: The loggers whose outage lines are folded: RQ's worker and scheduler, and this project's worker.
LOGGERS = ("rq.worker", "rq.scheduler", "claimtrack.worker")
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
#: What RQ's retry lines say (rq/worker/base.py), and what `OutageTolerantScheduler` says.
_RETRY_LINE = "could not connect to Redis"


def _outage(record: logging.LogRecord) -> str | None:
    """The reason, when `record` reports Redis being unreachable, else None."""
    if record.exc_info and isinstance(record.exc_info[1], _UNREACHABLE):
        return record.exc_info[1].__class__.__name__
    if _RETRY_LINE in record.getMessage():
        error = next((a for a in record.args or () if isinstance(a, Exception)), None) \
            if isinstance(record.args, tuple) else None
        return error.__class__.__name__ if error is not None else "unreachable"
    return None


class OutageLogFilter(logging.Filter):
    """Lets one outage line through per `interval` seconds, as a warning without traceback."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.interval = interval
        self.next_at = 0.0
        self.unreported = 0
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        reason = _outage(record)
        if reason is None:
            return True
        now = time.monotonic()
        with self.lock:
            self.unreported += 1
            if now < self.next_at:
                return False
            count, self.unreported, self.next_at = self.unreported, 0, now + self.interval
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "redis unavailable (%s): the worker waits and retries; %d failed attempt(s) since the last report"
        record.args = (reason, count)
        record.exc_info = record.exc_text = None
        return True


def install_outage_log(interval: float) -> None:
    """Fold the outage lines of `LOGGERS` in this process, all through one filter, so that the
    process says it once per interval whichever of its loops met the outage (once: a second
    call changes nothing). RQ's scheduler, a process of its own, has its copy."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    if any(isinstance(f, OutageLogFilter) for logger in loggers for f in logger.filters):
        return
    shared = OutageLogFilter(interval)
    for logger in loggers:
        logger.addFilter(shared)


class OutageTolerantScheduler(RQScheduler):
    """RQ's scheduler (it moves retried jobs back to their queue when their back-off is over),
    which waits out a Redis outage, one retry per interval, instead of dying of it."""

    def work(self) -> None:
        while True:
            try:
                super().work()
                return
            except _UNREACHABLE as error:
                self.log.error("Scheduler: %s: %s; retrying in %d seconds", _RETRY_LINE, error, self.interval)
                time.sleep(self.interval)
