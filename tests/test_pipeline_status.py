"""Article counts by status (the sizes of the store's status indexes) and the pipeline verdict's
cases that need no worker process: no worker at all, with and without work waiting."""
from __future__ import annotations

from helpers import claim_record, headers


def post(client, text: str = '"We will win," said Maria Okafor.') -> str:
    response = client.post("/v1/articles", json={"text": text}, headers=headers("ingest"))
    assert response.status_code == 202
    return response.json["id"]


def test_counts_follow_every_status_change(client, store, redis):
    first, second = post(client), post(client, '"We lost," said Tom Becker.')
    assert store.articles.counts() == {"queued": 2, "processing": 0, "done": 0, "failed": 0}
    store.jobs.start_processing(first)
    store.jobs.start_processing(second)
    assert store.articles.counts() == {"queued": 0, "processing": 2, "done": 0, "failed": 0}
    store.claims.save(first, [])
    store.jobs.set_status(second, "queued", "retrying")
    assert store.articles.counts() == {"queued": 1, "processing": 0, "done": 1, "failed": 0}
    store.jobs.set_status(second, "failed", "gave up")
    store.jobs.set_status(first, "failed", "too late")  # done stays done
    assert store.articles.counts() == {"queued": 0, "processing": 0, "done": 1, "failed": 1}
    assert client.post(f"/v1/articles/{second}/retry", headers=headers("ingest")).status_code in (200, 202)
    assert store.articles.counts() == {"queued": 1, "processing": 0, "done": 1, "failed": 0}


def test_a_taken_down_article_leaves_the_counts(client, store):
    first, second = post(client), post(client, '"We lost," said Tom Becker.')
    store.jobs.start_processing(first)
    store.claims.save(first, [claim_record("We will win", 1)])
    assert store.articles.counts() == {"queued": 1, "processing": 0, "done": 1, "failed": 0}
    assert client.delete(f"/v1/articles/{first}", headers=headers("admin")).status_code in (200, 204)
    assert store.articles.counts() == {"queued": 1, "processing": 0, "done": 0, "failed": 0}
    assert second


def test_without_workers_the_status_is_degraded_then_stalled_once_work_waits(client):
    idle = client.get("/v1/status", headers=headers("admin")).json
    assert idle["verdict"] == "degraded"
    assert idle["workers"] == [] and all(q["live_workers"] == 0 for q in idle["queues"])
    post(client)
    waiting = client.get("/v1/status", headers=headers("admin")).json
    assert waiting["verdict"] == "stalled"
    (extraction, _) = waiting["queues"]
    assert extraction["depth"] == 1 and extraction["oldest_age_seconds"] is not None
    assert any(reason.startswith("claimtrack: 1 job(s) waiting") for reason in waiting["reasons"])


def test_status_needs_the_metrics_or_admin_role(client):
    assert client.get("/v1/status").status_code == 401
    assert client.get("/v1/status", headers=headers("read")).status_code == 403
    assert client.get("/v1/status", headers=headers("admin")).status_code == 200


def test_metrics_can_be_turned_off(config):
    from service import create_app

    client = create_app(config.replace(metrics=False)).test_client()
    assert client.get("/metrics", headers=headers("admin")).status_code == 404
    on = create_app(config).test_client()
    assert on.get("/metrics", headers=headers("admin")).status_code == 200
