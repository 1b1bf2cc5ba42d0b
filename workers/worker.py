"""Worker entry point: ``python -m workers.worker`` (or the ``claimtrack-worker`` script).

It loads the spaCy model before the work loop, so every job's work horse (forked per job,
which keeps a crashing article from taking the worker down) starts with the model in
memory, and it runs RQ's scheduler so that failed jobs are retried after their back-off.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from rq import Worker
from rq.serializers import JSONSerializer

from service import logs
from service.config import Config
from service.queue import extraction_queue
from service.store import Store

from . import model
from .jobs import record_failure

log = logging.getLogger("claimtrack.worker")


class ClaimtrackWorker(Worker):
    """RQ's forking worker, with a shorter dead-worker window and article bookkeeping.

    A running job's entry in RQ's started-job registry is kept alive by the worker's
    heartbeat; when the whole worker dies (SIGKILL, lost machine) the entry expires and the
    maintenance run of any other worker retries the job. RQ lets an entry outlive its last
    heartbeat by 60 s; here it is two heartbeat intervals, so with the defaults (10 s
    heartbeat, 30 s maintenance) a dead worker's article is queued again within about a
    minute (README, "Guarantees").

    A horse killed by a signal (out of memory, SIGKILL, a crash in native code) never
    reaches the job's failure callback, so the article's status is recorded here.
    """

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = max(1, int(min(job.timeout - working_time, interval)))
        return 3 * interval

    def handle_work_horse_killed(self, job: Any, retpid: Any, ret_val: Any, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        signal = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        reason = f"the worker process died (signal {signal})" if signal else f"the worker process exited ({ret_val})"
        record_failure(Store.for_connection(self.connection), job, reason)


def build_worker(config: Config, name: str | None = None) -> ClaimtrackWorker:
    store = Store.from_url(config.redis_url, socket_timeout=None)
    queue = extraction_queue(store.raw, config)
    return ClaimtrackWorker(
        [queue],
        connection=store.raw,
        serializer=JSONSerializer,
        name=name,
        job_monitoring_interval=config.job_heartbeat,
        maintenance_interval=config.maintenance_interval,
        # An idle worker only runs maintenance when its blocking dequeue times out, which is
        # worker_ttl - 15 s; this makes that the maintenance interval.
        worker_ttl=config.maintenance_interval + 15,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a Claimtrack extraction worker.")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", help="worker name (default: RQ's)")
    args = parser.parse_args(argv)

    config = Config.from_env()
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
    nlp = model.preload(config.spacy_model)
    log.info("model loaded", extra={"model": nlp.meta.get("name"), "version": nlp.meta.get("version")})
    build_worker(config, args.name).work(burst=args.burst, with_scheduler=True, logging_level=None)


if __name__ == "__main__":
    main()
