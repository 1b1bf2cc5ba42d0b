"""schema.org ClaimReview export, checked field by field."""
from __future__ import annotations

import json

from helpers import headers, quote_article
from service import create_app

QUOTE = "Unemployment has halved since we took office"


def review(client, cid: str):
    return client.get(f"/v1/claims/{cid}/claimreview", headers=headers("read"))


def test_a_claim_without_a_verdict_is_409(client, store):
    _, claim = quote_article(client, store, QUOTE, "Maria Okafor")
    response = review(client, claim["id"])
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/no-verdict"
    client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "in_review"}, headers=headers("verify"))
    assert review(client, claim["id"]).status_code == 409
    assert review(client, "clm_0000000000000000").status_code == 404


def test_claimreview_fields(config, store):
    client = create_app(config.replace(reviewer_name="Example Fact Check",
                                       reviewer_url="https://factcheck.example.org")).test_client()
    _, second = quote_article(client, store, QUOTE, "Maria Okafor", title="Governor",
                              url="https://news.example/later", published_at="2026-05-02T09:00:00Z")
    _, first = quote_article(client, store, QUOTE + ".", "Maria Okafor",
                             url="https://news.example/earlier", published_at="2026-05-01T07:30:00Z")
    assert first["cluster_id"] == second["cluster_id"]
    updated = client.patch(f"/v1/claims/{second['id']}/verification", json={"status": "mostly_false"},
                           headers=headers("verify")).json
    response = review(client, second["id"])
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    doc = json.loads(response.data)
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "ClaimReview"
    assert doc["claimReviewed"] == QUOTE
    assert doc["datePublished"] == updated["verification"]["updated_at"][:10]
    assert doc["author"] == {"@type": "Organization", "name": "Example Fact Check",
                             "url": "https://factcheck.example.org"}
    item = doc["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Person", "name": "Maria Okafor", "jobTitle": "Governor"}
    assert item["datePublished"] == "2026-05-01"
    assert item["firstAppearance"] == {"@type": "CreativeWork", "url": "https://news.example/earlier"}
    assert item["appearance"] == [{"@type": "CreativeWork", "url": "https://news.example/earlier"},
                                  {"@type": "CreativeWork", "url": "https://news.example/later"}]
    assert doc["reviewRating"] == {"@type": "Rating", "alternateName": "Mostly false", "ratingValue": 2,
                                   "bestRating": 5, "worstRating": 1}


def test_ratings_on_the_scale_and_off_it(client, store):
    _, claim = quote_article(client, store, "Exports doubled", "Lumen Energy", kind="organization")
    expected = {"true": 5, "mostly_true": 4, "half_true": 3, "mostly_false": 2, "false": 1}
    for status, value in expected.items():
        client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": status}, headers=headers("verify"))
        assert json.loads(review(client, claim["id"]).data)["reviewRating"]["ratingValue"] == value
    for status, name in (("misleading", "Misleading"), ("unverifiable", "Unverifiable")):
        client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": status}, headers=headers("verify"))
        doc = json.loads(review(client, claim["id"]).data)
        assert doc["reviewRating"] == {"@type": "Rating", "alternateName": name}
        assert doc["itemReviewed"]["author"] == {"@type": "Organization", "name": "Lumen Energy"}
