"""Each article's time budget grows with its length, and a timeout is retried once at most."""
from __future__ import annotations

import pytest
from rq import Queue
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException

from helpers import headers
from service.queue import job_timeout
from service.store import Keys
from workers.context import running_with
from workers.jobs import on_extract_failure


def post(client, text: str) -> str:
    response = client.post("/v1/articles", json={"text": text}, headers=headers("ingest"))
    assert response.status_code == 202
    return response.json["id"]


def job_for(store, config, redis, aid: str):
    queue = Queue(config.queue_name, connection=store.raw, serializer=JSONSerializer)
    return queue.fetch_job(redis.hget(Keys.article(aid), "job"))


def test_the_budget_is_proportional_to_the_text(client, store, config, redis):
    assert job_timeout(config, 0) == config.job_timeout
    assert job_timeout(config, 200_000) == config.job_timeout + 200 * config.job_timeout_per_1k_chars
    short = job_for(store, config, redis, post(client, "Short news."))
    long = job_for(store, config, redis, post(client, "Long news. " * 10_000))
    assert short.timeout == job_timeout(config, len("Short news."))
    assert long.timeout == job_timeout(config, 110_000) > short.timeout + 100


@pytest.fixture
def retrying(config):
    return config.replace(job_retries=3, retry_intervals=(0,))


def test_a_timed_out_article_is_retried_once_at_most(retrying, redis):
    from service import create_app

    app = create_app(retrying)
    client, store = app.test_client(), app.extensions["claimtrack"].repos
    aid = post(client, "Slow news.")
    job = job_for(store, retrying, redis, aid)
    assert job.retries_left == 3
    with running_with(store, retrying):  # what the worker performing the job does
        on_extract_failure(job, store.raw, JobTimeoutException, JobTimeoutException("timed out"), None)
    assert job.retries_left == 1, "one retry, not three"
    assert "will be retried" in client.get(f"/v1/articles/{aid}", headers=headers("read")).json["error"]
    job.retries_left = 0  # what RQ's retry leaves
    with running_with(store, retrying):
        on_extract_failure(job, store.raw, JobTimeoutException, JobTimeoutException("timed out"), None)
    assert job.retries_left == 0
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "failed" and article["error"].startswith("JobTimeoutException")


def test_other_failures_keep_their_retries(retrying, redis):
    from service import create_app

    app = create_app(retrying)
    store = app.extensions["claimtrack"].repos
    aid = post(app.test_client(), "Broken news.")
    job = job_for(store, retrying, redis, aid)
    with running_with(store, retrying):
        on_extract_failure(job, store.raw, ValueError, ValueError("bad"), None)
    assert job.retries_left == 3
