"""`python bench/_worker_variant.py VARIANT`: the Claimtrack worker with one design choice
undone, for bench/overhead.py to measure what each choice is worth.

  shipped          workers.worker.main() unchanged
  fork-per-job     RQ's own Worker.execute_job: a new fork of the worker for every job
                   (the design before the long-lived horse), no gc.freeze()
  no-freeze        the long-lived horse, without gc.freeze() after the model is loaded
"""
from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rq import Worker  # noqa: E402

from workers import worker  # noqa: E402

VARIANTS = ("shipped", "fork-per-job", "no-freeze")


def main() -> None:
    variant = sys.argv[1] if len(sys.argv) > 1 else "shipped"
    if variant not in VARIANTS:
        raise SystemExit(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    if variant == "fork-per-job":
        for name in ("execute_job", "wait_for_horse", "teardown"):
            setattr(worker.ClaimtrackWorker, name, getattr(Worker, name))
    if variant in ("fork-per-job", "no-freeze"):
        gc.freeze = lambda: None  # type: ignore[assignment]
    sys.argv[1:] = []
    worker.main()


if __name__ == "__main__":
    main()
