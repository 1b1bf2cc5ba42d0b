"""A job for the crash tests, imported by real worker processes (tests/ on PYTHONPATH).

It is the real extraction job behind a gate: each run announces itself (with its process
id) and waits until the test opens that run's own gate, so a test kills a work horse at a
known point of a job, however fast the machine is, and a dead run's gate is never opened.
"""
from __future__ import annotations

import os
from typing import Any

from rq import get_current_job

from workers.jobs import extract_article


def started_key(article_id: str) -> str:
    return f"test:started:{article_id}"


def gate_key(article_id: str, run: int) -> str:
    return f"test:gate:{article_id}:{run}"


def gated_extract(article_id: str) -> dict[str, Any]:
    job = get_current_job()
    assert job is not None
    run = job.connection.rpush(started_key(article_id), os.getpid())
    job.connection.blpop([gate_key(article_id, run)], timeout=0)
    return extract_article(article_id)
