"""After a takedown every route of the article and of its claims answers 410 (never 404), and
the article is gone from every index at once, whatever state it was in."""
from __future__ import annotations

import pytest

from helpers import claim_record, headers, seed_article
from service.store import Keys

pytestmark = pytest.mark.both_topologies

TEXT = '"The dam is safe," Maria Okafor said. "The road is open," Okafor added.'


def taken_down(client, store) -> tuple[str, str]:
    aid = seed_article(client, store, TEXT, [claim_record("The dam is safe", 1),
                                             claim_record("The road is open", 38)])
    cid = store.claims.of_article(aid).items[0]["id"]
    assert client.delete(f"/v1/articles/{aid}", headers=headers("admin")).status_code == 200
    return aid, cid


def test_every_route_of_a_taken_down_article_and_its_claims_answers_410(client, store):
    aid, cid = taken_down(client, store)
    cluster = "cls_" + cid.removeprefix("clm_")
    calls = [
        ("GET", f"/v1/articles/{aid}", "read", None),
        ("PUT", f"/v1/articles/{aid}", "ingest", {"text": "Something else."}),
        ("DELETE", f"/v1/articles/{aid}", "admin", None),
        ("GET", f"/v1/articles/{aid}/claims", "read", None),
        ("GET", f"/v1/articles/{aid}/revisions", "read", None),
        ("POST", f"/v1/articles/{aid}/retry", "ingest", None),
        ("POST", f"/v1/articles/{aid}/reextract", "admin", None),
        ("GET", f"/v1/claims/{cid}", "read", None),
        ("GET", f"/v1/claims/{cid}/history", "read", None),
        ("GET", f"/v1/claims/{cid}/similar", "read", None),
        ("GET", f"/v1/claims/{cid}/claimreview?draft=true", "read", None),
        ("PATCH", f"/v1/claims/{cid}/verification", "verify", {"status": "false"}),
        ("DELETE", f"/v1/clusters/{cluster}/claims/{cid}", "verify", None),
        ("POST", f"/v1/clusters/{cluster}/claims", "verify", {"claim_id": cid}),
    ]
    wrong = {}
    for method, path, who, body in calls:
        response = client.open(path, method=method, json=body, headers=headers(who))
        if response.status_code != 410 or response.json.get("deleted_by") != "ops":
            wrong[f"{method} {path}"] = response.status_code
    assert wrong == {}


@pytest.mark.parametrize("state", ["queued", "processing"])
def test_a_takedown_before_extraction_ends_leaves_no_pending_entry(client, store, redis, state):
    """Reconciliation watches `ct:articles:pending`; a taken-down article must leave it at once."""
    aid = client.post("/v1/articles", json={"text": TEXT}, headers=headers("ingest")).json["id"]
    if state == "processing":
        assert store.jobs.start_processing(aid) is not None
    assert redis.zscore(Keys.pending, aid) is not None
    assert client.delete(f"/v1/articles/{aid}", headers=headers("admin")).status_code == 200
    assert redis.zscore(Keys.pending, aid) is None
    assert store.jobs.pending(older_than=-3600) == []
    # The extraction job that was under way finds nothing to do and puts nothing back.
    assert store.jobs.start_processing(aid) is None
    assert redis.zscore(Keys.pending, aid) is None
