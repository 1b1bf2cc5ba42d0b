"""The same claim in several articles: one cluster, one verdict, verified once everywhere."""
from __future__ import annotations

import pytest

from helpers import headers, quote_article

pytestmark = pytest.mark.both_topologies

QUOTE = "We will cut the fuel tax by ten percent before the winter"


def get(client, path: str) -> dict:
    response = client.get(path, headers=headers("read"))
    assert response.status_code == 200, response.json
    return response.json


def test_the_same_quote_in_two_articles_forms_one_cluster(client, store):
    later_published, a = quote_article(client, store, QUOTE, "Maria Okafor", url="https://a.example/1",
                                       published_at="2026-03-02T10:00:00Z")
    earlier_published, b = quote_article(client, store, "we will cut the fuel tax by ten percent, before the WINTER",
                                         "Okafor", url="https://b.example/2", published_at="2026-03-01T08:00:00Z")
    assert a["cluster_id"] == b["cluster_id"]
    cluster = get(client, f"/v1/clusters/{a['cluster_id']}")
    assert cluster["size"] == 2
    assert [(x["article_id"], x["url"], x["first"]) for x in cluster["appearances"]] == [
        (earlier_published, "https://b.example/2", True), (later_published, "https://a.example/1", False)]
    assert cluster["appearances"][0]["published_at"] == "2026-03-01T08:00:00.000Z"
    listed = get(client, f"/v1/claims?cluster_id={a['cluster_id']}")["items"]
    assert {c["id"] for c in listed} == {a["id"], b["id"]}


def test_different_speakers_or_different_words_are_different_clusters(client, store):
    _, a = quote_article(client, store, QUOTE, "Maria Okafor")
    _, other_speaker = quote_article(client, store, QUOTE, "Tom Becker")
    _, other_claim = quote_article(client, store, "We will raise the fuel tax by ten percent after the winter",
                                   "Maria Okafor")
    assert len({a["cluster_id"], other_speaker["cluster_id"], other_claim["cluster_id"]}) == 3
    single = get(client, f"/v1/clusters/{a['cluster_id']}")
    assert single["size"] == 1 and single["appearances"][0]["first"] is True
    assert [c["id"] for c in get(client, f"/v1/claims?cluster_id={a['cluster_id']}")["items"]] == [a["id"]]
    assert get(client, f"/v1/claims?cluster_id={a['cluster_id']}&type=indirect")["items"] == []


def test_a_verdict_on_one_claim_applies_to_the_whole_cluster(client, store):
    _, a = quote_article(client, store, QUOTE, "Maria Okafor")
    _, b = quote_article(client, store, QUOTE + ".", "Maria Okafor")
    response = client.patch(f"/v1/claims/{a['id']}/verification", headers=headers("verify", **{"If-Match": '"1"'}),
                            json={"status": "false", "note": "the budget says 4 percent",
                                  "evidence": ["https://budget.example/2026"]})
    assert response.status_code == 200
    other = get(client, f"/v1/claims/{b['id']}")
    assert other["verification"]["status"] == "false"
    assert other["verification"]["updated_by"] == "alice"
    assert other["verification"]["evidence"] == ["https://budget.example/2026"]
    assert other["version"] == 2
    history = get(client, f"/v1/claims/{b['id']}/history")["items"]
    assert [(h["from"], h["to"], h["propagated_from"]) for h in history] == [("unverified", "false", a["id"])]
    own = get(client, f"/v1/claims/{a['id']}/history")["items"]
    assert len(own) == 1 and "propagated_from" not in own[0]
    assert get(client, f"/v1/clusters/{a['cluster_id']}")["verification"]["status"] == "false"
    assert {c["id"] for c in get(client, "/v1/claims?status=false")["items"]} == {a["id"], b["id"]}


def test_a_claim_joining_later_inherits_the_cluster_verdict(client, store):
    _, a = quote_article(client, store, QUOTE, "Maria Okafor")
    client.patch(f"/v1/claims/{a['id']}/verification", json={"status": "mostly_false", "note": "off by half"},
                 headers=headers("verify"))
    _, late = quote_article(client, store, QUOTE, "Okafor")
    assert late["cluster_id"] == a["cluster_id"]
    assert late["verification"]["status"] == "mostly_false"
    assert late["verification"]["note"] == "off by half"
    history = get(client, f"/v1/claims/{late['id']}/history")["items"]
    assert [(h["from"], h["to"], h["by"], h["inherited_from"]) for h in history] == [
        ("unverified", "mostly_false", "alice", a["cluster_id"])]
    # a third joins a cluster that already has its own record
    _, third = quote_article(client, store, QUOTE, "Maria Okafor")
    assert third["cluster_id"] == a["cluster_id"]
    assert third["verification"]["status"] == "mostly_false"
    assert get(client, f"/v1/clusters/{a['cluster_id']}")["size"] == 3


def test_unknown_clusters_are_404(client, store):
    quote_article(client, store, QUOTE, "Maria Okafor")
    for cid in ("cls_0000000000000000", "nope", "clm_0000000000000000"):
        assert client.get(f"/v1/clusters/{cid}", headers=headers("read")).status_code == 404


def test_repeats_within_one_article_form_one_cluster_in_text_order(client, store, redis):
    from helpers import claim_record, seed_article
    from service.store import Keys

    text = f'"{QUOTE}," she said. Later: "{QUOTE}." And again: "{QUOTE}!"'
    starts = [text.index(QUOTE, i) for i in (0, 10, text.index("again"))]
    aid = seed_article(client, store, text, [claim_record(QUOTE, s) for s in starts])
    claims = store.claims.of_article(aid).items
    assert len({c["cluster_id"] for c in claims}) == 1
    cluster = claims[0]["cluster_id"]
    assert redis.zrange(Keys.cluster_claims(cluster), 0, -1) == [c["id"] for c in claims]
    assert get(client, f"/v1/clusters/{cluster}")["size"] == 3
