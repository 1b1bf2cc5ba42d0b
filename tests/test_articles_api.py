"""POST and GET of articles through the API, against a real Redis and a real RQ queue."""
from __future__ import annotations

import pytest

import json
import threading

from flask.testing import FlaskClient
from rq import Queue
from rq.serializers import JSONSerializer

from helpers import headers
from races import Overlap
from service.config import Config
from service.queue import job_timeout
from service.store import Repositories

pytestmark = pytest.mark.both_topologies

ARTICLE = {
    "title": "Council approves budget",
    "text": 'The council approved the budget on Monday. "This is a good day," Mayor Lena Ortiz said.\n',
    "url": "https://news.example.org/budget",
    "source": "Example News",
    "published_at": "2026-03-01T09:30:00+01:00",
    "external_id": "ex-1",
}


def queued_jobs(store: Repositories, config: Config) -> list[str]:
    return Queue(config.queue_name, connection=store.raw, serializer=JSONSerializer).get_job_ids()


def post(client: FlaskClient, body: object, who: str = "ingest", **extra_headers: str):
    return client.post("/v1/articles", json=body, headers=headers(who, **extra_headers))


def test_post_queues_one_job_and_returns_location(client, store, config):
    response = post(client, ARTICLE)
    assert response.status_code == 202
    body = response.json
    assert body["status"] == "queued"
    assert body["claim_count"] == 0
    assert response.headers["Location"] == f"/v1/articles/{body['id']}"
    assert body["published_at"] == "2026-03-01T08:30:00.000Z"
    assert body["created_at"].endswith("Z")
    jobs = queued_jobs(store, config)
    assert len(jobs) == 1
    job = Queue(config.queue_name, connection=store.raw, serializer=JSONSerializer).fetch_job(jobs[0])
    assert job.func_name == "workers.jobs.extract_article"
    assert job.args == [body["id"]]
    assert job.timeout == config.job_timeout + 1 == job_timeout(config, len(ARTICLE["text"]))


def test_published_at_is_stored_in_utc_with_a_four_digit_year(client):
    early = post(client, {"text": "Old news.", "published_at": "0009-03-31T03:25:39"}).json
    assert early["published_at"] == "0009-03-31T03:25:39.000Z"


def test_get_returns_every_documented_field(client):
    created = post(client, ARTICLE).json
    response = client.get(f"/v1/articles/{created['id']}", headers=headers("read"))
    assert response.status_code == 200
    assert set(response.json) == {
        "id", "title", "url", "source", "published_at", "external_id", "text", "status", "error",
        "claim_count", "created_at", "processed_at", "revision", "updated_at", "extractor_version",
    }
    assert response.json["text"] == ARTICLE["text"]
    assert response.json["processed_at"] is None


def test_unicode_text_round_trips_exactly(client):
    text = "Zoë said: \u201cÇa va\u201d \u2014 naïve café\u00a0\u200b emoji \U0001F600 \u2028 tab\t NUL\x00 end\r\n"
    created = post(client, {"text": text}).json
    assert client.get(f"/v1/articles/{created['id']}", headers=headers("read")).json["text"] == text


def test_same_external_id_returns_existing_article_and_queues_nothing(client, store, config):
    first = post(client, ARTICLE)
    again = post(client, {**ARTICLE, "url": "https://elsewhere.example.org/x"})
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert len(queued_jobs(store, config)) == 1


def test_same_url_and_text_is_a_duplicate_but_changed_text_is_not(client, store, config):
    body = {"text": "Officials said the bridge would reopen.", "url": "https://example.org/bridge"}
    first = post(client, body)
    assert post(client, body).json["id"] == first.json["id"]
    changed = post(client, {**body, "text": body["text"] + " It did not."})
    assert changed.status_code == 202
    assert changed.json["id"] != first.json["id"]
    assert len(queued_jobs(store, config)) == 2


def test_idempotency_key_returns_the_first_article(client, store, config):
    first = post(client, {"text": "One."}, **{"Idempotency-Key": "k-1"})
    second = post(client, {"text": "One, resent."}, **{"Idempotency-Key": "k-1"})
    assert second.status_code == 200
    assert second.json["id"] == first.json["id"]
    assert second.json["text"] == "One."
    # The key is scoped to the API key that used it.
    other = post(client, {"text": "Another client."}, who="admin", **{"Idempotency-Key": "k-1"})
    assert other.status_code == 202
    assert len(queued_jobs(store, config)) == 2


@pytest.mark.watch_race
def test_concurrent_duplicates_create_one_article(app, store, config):
    """All eight posts read "no article yet" before any of them writes (forced by a barrier
    between WATCH and EXEC); the WATCH makes seven of them start over and find the one."""
    overlap = Overlap(store, "create_article", parties=8)
    results: list[tuple[int, str]] = []

    def send() -> None:
        response = app.test_client().post("/v1/articles", json=ARTICLE, headers=headers("ingest"))
        results.append((response.status_code, response.json["id"]))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlap.calls == 8, "every post reached its EXEC once; the seven losers returned the winner's"
    assert sorted(code for code, _ in results) == [200] * 7 + [202]
    assert len({aid for _, aid in results}) == 1
    assert len(queued_jobs(store, config)) == 1


def test_missing_empty_and_blank_text_are_422(client):
    for body in ({}, {"text": ""}, {"text": "  \n\t"}, {"title": "no text"}):
        response = post(client, body)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
        assert "text" in response.json["errors"]


def test_wrong_types_and_unknown_fields_are_422(client):
    for body, field in (
        ({"text": 12}, "text"),
        ({"text": "ok", "url": "not a url"}, "url"),
        ({"text": "ok", "url": "ftp://example.org/x"}, "url"),
        ({"text": "ok", "published_at": "yesterday"}, "published_at"),
        ({"text": "ok", "published_at": "0001-01-01T00:00:00+05:00"}, "published_at"),
        ({"text": "ok", "surprise": True}, "surprise"),
        ({"text": "ok", "external_id": ""}, "external_id"),
    ):
        response = post(client, body)
        assert response.status_code == 422, body
        assert field in response.json["errors"], response.json


def test_body_that_is_not_an_object_is_422(client):
    response = post(client, ["text"])
    assert response.status_code == 422
    assert response.json["type"] == "/problems/validation-error"


def test_text_over_the_limit_is_422_with_the_limit_named(client, config):
    response = post(client, {"text": "x" * (config.max_text_chars + 1)})
    assert response.status_code == 422
    assert str(config.max_text_chars) in response.json["errors"]["text"][0]


def test_body_over_the_byte_limit_is_413(client, config):
    payload = json.dumps({"text": "x" * config.max_body_bytes})
    response = client.post("/v1/articles", data=payload, content_type="application/json",
                           headers=headers("ingest"))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_malformed_json_and_invalid_utf8_are_400(client):
    for raw in (b'{"text": "unterminated', b'{"text": "\xff\xfe"}'):
        response = client.post("/v1/articles", data=raw, content_type="application/json",
                               headers=headers("ingest"))
        assert response.status_code == 400, raw
        assert response.json["status"] == 400


def test_lone_surrogate_is_422_not_500(client):
    response = client.post("/v1/articles", data='{"text": "bad \\ud800 text"}',
                           content_type="application/json", headers=headers("ingest"))
    assert response.status_code == 422
    assert "text" in response.json["errors"]


def test_non_json_body_is_415(client):
    response = client.post("/v1/articles", data="plain words", content_type="text/plain",
                           headers=headers("ingest"))
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"


def test_unknown_and_malformed_article_ids_are_404(client):
    for aid in ("art_0000000000000000", "nope", "art_x:claims", "art_%2A"):
        response = client.get(f"/v1/articles/{aid}", headers=headers("read"))
        assert response.status_code == 404, aid
        assert response.json["title"] == "Not Found"
        assert client.get(f"/v1/articles/{aid}/claims", headers=headers("read")).status_code == 404


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/v1/articles", headers=headers("admin"))
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"
