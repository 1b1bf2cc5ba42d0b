"""The whole path with a real RQ worker: POST, queue, work horse, spaCy extraction, storage."""
from __future__ import annotations

import pytest
from rq import Queue
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from helpers import headers
from service.queue import enqueue_extraction
from service.store import Keys
from workers import model
from workers.worker import build_worker

pytestmark = pytest.mark.both_topologies

ARTICLE = (
    "Lumen Energy will close its coal plant in Dover next year, the company said on Tuesday.\n\n"
    '"We have no other choice," said Priya Raman, Lumen\'s chief executive. '
    "Raman said that about 300 jobs would be lost.\n\n"
    "Union leader Tom Becker called the decision a betrayal. He said the union would fight it.\n"
)


@pytest.fixture(scope="module", autouse=True)
def preloaded_model():
    """Load spaCy once in this process, as the worker entry point does before forking."""
    return model.preload(None)


def work(config) -> None:
    assert build_worker(config).work(burst=True, logging_level="WARNING")


def post(client, text: str = ARTICLE) -> str:
    response = client.post("/v1/articles", json={"text": text}, headers=headers("ingest"))
    assert response.status_code == 202
    return response.json["id"]


def claims_of(client, aid: str) -> list[dict]:
    return client.get(f"/v1/articles/{aid}/claims?limit=200", headers=headers("read")).json["items"]


def test_posted_article_is_processed_into_attributed_claims(client, config):
    aid = post(client)
    work(config)
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done", article
    assert article["error"] is None
    claims = claims_of(client, aid)
    assert article["claim_count"] == len(claims) > 0
    by_text = {c["text"]: c for c in claims}
    quote = by_text["We have no other choice"]
    assert quote["type"] == "direct"
    assert quote["speaker"]["name"] == "Priya Raman"
    assert quote["cue"] == "said"
    reported = next(c for c in claims if "300 jobs would be lost" in c["text"])
    assert reported["type"] == "indirect"
    assert reported["speaker"]["name"] == "Priya Raman"
    assert reported["speaker"]["mention"] == "Raman"
    union = next(c for c in claims if "the union would fight it" in c["text"])
    assert union["speaker"]["name"] == "Tom Becker"
    for claim in claims:
        start, end = claim["span"]["start"], claim["span"]["end"]
        assert ARTICLE[start:end] == claim["text"]
        assert 0.0 <= claim["confidence"] <= 1.0


def test_running_the_job_again_stores_nothing_twice(client, config, store):
    aid = post(client)
    work(config)
    before = [c["id"] for c in claims_of(client, aid)]
    queue = Queue(config.queue_name, connection=store.raw, serializer=JSONSerializer)
    again = enqueue_extraction(queue, config, aid)
    work(config)
    assert again.get_status(refresh=True) == JobStatus.FINISHED
    assert again.return_value() == {"article_id": aid, "skipped": True}
    assert [c["id"] for c in claims_of(client, aid)] == before
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["claim_count"] == len(before)


def test_a_job_that_keeps_failing_ends_failed_with_a_readable_error(client, config, store, redis):
    config = config.replace(job_retries=1, retry_intervals=(0,))
    aid = post(client)
    # Corrupt the claim counter, so that every attempt fails when it stores the claims.
    redis.set(Keys.claim_seq, "not a number")
    queue = Queue(config.queue_name, connection=store.raw, serializer=JSONSerializer)
    queue.empty()
    job = enqueue_extraction(queue, config, aid)
    work(config)
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "failed"
    assert article["error"].startswith("ResponseError: value is not an integer")
    assert article["processed_at"] is not None
    assert redis.hget(Keys.article(aid), "attempts") == "2"
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert claims_of(client, aid) == []


def test_a_failed_article_can_be_queued_again(client, config, store, redis):
    aid = post(client)
    redis.set(Keys.claim_seq, "not a number")
    work(config)
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["status"] == "failed"
    redis.set(Keys.claim_seq, "100")
    retried = client.post(f"/v1/articles/{aid}/retry", headers=headers("ingest"))
    assert retried.status_code == 202
    assert retried.json["status"] == "queued" and retried.json["error"] is None
    work(config)
    article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
    assert article["status"] == "done" and article["claim_count"] > 0
    again = client.post(f"/v1/articles/{aid}/retry", headers=headers("ingest"))
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert client.post("/v1/articles/art_0000000000000000/retry", headers=headers("ingest")).status_code == 404


def test_a_worker_with_the_encoder_stores_claims_and_names_it(client, config):
    """CLAIMTRACK_ATTRIBUTION_MODEL=on: the worker's pipeline carries the encoder (loaded once,
    before the work horse forks), the claims are stored as usual, and the article records
    which extractor found them."""
    from workers.extraction.encoder import COMPONENT

    nlp = model.preload(None, attribution=True)
    try:
        assert COMPONENT in nlp.component_names
        aid = post(client)
        work(config)
        article = client.get(f"/v1/articles/{aid}", headers=headers("read")).json
        assert article["status"] == "done", article
        assert "encoder" in article["extractor_version"]
        texts = [c["text"] for c in claims_of(client, aid)]
        assert "We have no other choice" in texts
        assert any("300 jobs would be lost" in t for t in texts)
    finally:
        model.preload(None)
