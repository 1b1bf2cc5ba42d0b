"""schema.org ClaimReview export, checked field by field and against a JSON Schema written
from schema.org's ClaimReview vocabulary and Google's Fact Check markup (required there:
claimReviewed, reviewRating with alternateName, url, author with name)."""
from __future__ import annotations

import json

import jsonschema_rs

from helpers import claim_record, headers, quote_article, seed_article
from service import create_app

QUOTE = "Unemployment has halved since we took office"
REVIEW = "https://factcheck.example.org/2026/unemployment"

THING = {"type": "object", "required": ["@type"]}
CREATIVE_WORK = {"type": "object", "required": ["@type", "url"], "additionalProperties": False,
                 "properties": {"@type": {"const": "CreativeWork"}, "url": {"type": "string", "pattern": "^https?://"}}}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
CLAIM_REVIEW_SCHEMA = {
    "type": "object",
    "required": ["@context", "@type", "url", "claimReviewed", "author", "reviewRating", "itemReviewed", "inLanguage"],
    "additionalProperties": False,
    "properties": {
        "@context": {"const": "https://schema.org"},
        "@type": {"const": "ClaimReview"},
        "url": {"type": "string", "pattern": "^https?://"},
        "claimReviewed": {"type": "string", "minLength": 1},
        "datePublished": DATE,
        "inLanguage": {"const": "en"},
        "reviewBody": {"type": "string", "minLength": 1},
        "author": {"type": "object", "required": ["@type", "name"], "additionalProperties": False,
                   "properties": {"@type": {"enum": ["Organization", "Person"]}, "name": {"type": "string"},
                                  "url": {"type": "string", "pattern": "^https?://"}}},
        "reviewRating": {
            "type": "object", "required": ["@type", "alternateName"], "additionalProperties": False,
            "properties": {"@type": {"const": "Rating"}, "alternateName": {"type": "string"},
                           "ratingValue": {"type": "integer", "minimum": 1, "maximum": 5},
                           "bestRating": {"const": 5}, "worstRating": {"const": 1}},
            "dependentRequired": {"ratingValue": ["bestRating", "worstRating"]},
        },
        "itemReviewed": {
            "type": "object", "required": ["@type", "author"], "additionalProperties": False,
            "properties": {
                "@type": {"const": "Claim"},
                "author": {"type": "object", "required": ["@type", "name"], "additionalProperties": False,
                           "properties": {"@type": {"enum": ["Organization", "Person"]}, "name": {"type": "string"},
                                          "jobTitle": {"type": "string"}}},
                "datePublished": DATE,
                "firstAppearance": CREATIVE_WORK,
                "appearance": {"type": "array", "items": CREATIVE_WORK, "uniqueItems": True, "minItems": 1},
            },
        },
    },
}
VALIDATOR = jsonschema_rs.validator_for(CLAIM_REVIEW_SCHEMA)


def review(client, cid: str, draft: bool = False):
    return client.get(f"/v1/claims/{cid}/claimreview" + ("?draft=true" if draft else ""), headers=headers("read"))


def verdict(client, cid: str, **body):
    response = client.patch(f"/v1/claims/{cid}/verification", json=body, headers=headers("verify"))
    assert response.status_code == 200, response.json
    return response.json


def test_a_claim_without_a_verdict_is_409(client, store):
    _, claim = quote_article(client, store, QUOTE, "Maria Okafor")
    response = review(client, claim["id"])
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/no-verdict"
    verdict(client, claim["id"], status="in_review", review_url=REVIEW)
    assert review(client, claim["id"]).status_code == 409
    verdict(client, claim["id"], status="not_a_claim")
    assert review(client, claim["id"]).json["type"] == "/problems/no-verdict"
    assert review(client, claim["id"], draft=True).status_code == 409
    assert review(client, "clm_0000000000000000").status_code == 404


def test_without_a_review_url_only_a_draft_answers(client, store):
    _, claim = quote_article(client, store, QUOTE, "Maria Okafor")
    verdict(client, claim["id"], status="false")
    refused = review(client, claim["id"])
    assert refused.status_code == 409 and refused.json["type"] == "/problems/no-review-url"
    draft = json.loads(review(client, claim["id"], draft=True).data)
    assert "url" not in draft and draft["reviewRating"]["alternateName"] == "False"
    verdict(client, claim["id"], review_url=REVIEW)
    published = json.loads(review(client, claim["id"]).data)
    assert published["url"] == REVIEW
    VALIDATOR.validate(published)


def test_claimreview_fields(config, store):
    client = create_app(config.replace(reviewer_name="Example Fact Check",
                                       reviewer_url="https://factcheck.example.org")).test_client()
    _, second = quote_article(client, store, QUOTE, "Maria Okafor", title="Governor",
                              url="https://news.example/later", published_at="2026-05-02T09:00:00Z")
    _, first = quote_article(client, store, QUOTE + ".", "Maria Okafor",
                             url="https://news.example/earlier", published_at="2026-05-01T07:30:00Z")
    _, again = quote_article(client, store, QUOTE + "!", "Maria Okafor", url="https://news.example/later",
                             published_at="2026-05-03T09:00:00Z")
    assert first["cluster_id"] == second["cluster_id"] == again["cluster_id"]
    updated = verdict(client, second["id"], status="mostly_false", note="The rate fell by a fifth, not by half.",
                      review_url=REVIEW)
    response = review(client, second["id"])
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    doc = json.loads(response.data)
    VALIDATOR.validate(doc)
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "ClaimReview"
    assert doc["url"] == REVIEW
    assert doc["claimReviewed"] == QUOTE
    assert doc["inLanguage"] == "en"
    assert doc["reviewBody"] == "The rate fell by a fifth, not by half."
    assert doc["datePublished"] == updated["verification"]["updated_at"][:10]
    assert doc["author"] == {"@type": "Organization", "name": "Example Fact Check",
                             "url": "https://factcheck.example.org"}
    item = doc["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Person", "name": "Maria Okafor", "jobTitle": "Governor"}
    assert item["datePublished"] == "2026-05-01"
    assert item["firstAppearance"] == {"@type": "CreativeWork", "url": "https://news.example/earlier"}
    # The same page twice (two articles with one url) is one appearance.
    assert item["appearance"] == [{"@type": "CreativeWork", "url": "https://news.example/earlier"},
                                  {"@type": "CreativeWork", "url": "https://news.example/later"}]
    assert doc["reviewRating"] == {"@type": "Rating", "alternateName": "Mostly false", "ratingValue": 2,
                                   "bestRating": 5, "worstRating": 1}


def test_a_denial_is_reviewed_as_a_denial(client, store):
    content = "road repairs on the ring road would be delayed until the spring"
    text = f"Mayor Elena Marsh denied that {content}."
    aid = seed_article(client, store, text, [claim_record(content, text.index(content), speaker="Elena Marsh",
                                                          claim_type="indirect", stance="denies")])
    claim = client.get(f"/v1/articles/{aid}/claims", headers=headers("read")).json["items"][0]
    assert claim["stance"] == "denies"
    verdict(client, claim["id"], status="false", review_url=REVIEW)
    doc = json.loads(review(client, claim["id"]).data)
    VALIDATOR.validate(doc)
    assert doc["claimReviewed"] == f"Elena Marsh denied that {content}"

    asked = "the budget included money for schools"
    text = f"Senator Tom Hale asked whether {asked}."
    aid = seed_article(client, store, text, [claim_record(asked, text.index(asked), speaker="Tom Hale",
                                                          claim_type="indirect", stance="questions")])
    claim = client.get(f"/v1/articles/{aid}/claims", headers=headers("read")).json["items"][0]
    verdict(client, claim["id"], status="true", review_url=REVIEW)
    assert json.loads(review(client, claim["id"]).data)["claimReviewed"] == f"Tom Hale questioned whether {asked}"


def test_ratings_on_the_scale_and_off_it(client, store):
    _, claim = quote_article(client, store, "Exports doubled", "Lumen Energy", kind="organization")
    expected = {"true": 5, "mostly_true": 4, "half_true": 3, "mostly_false": 2, "false": 1}
    for status, value in expected.items():
        verdict(client, claim["id"], status=status, review_url=REVIEW)
        doc = json.loads(review(client, claim["id"]).data)
        VALIDATOR.validate(doc)
        assert doc["reviewRating"]["ratingValue"] == value
    for status, name in (("misleading", "Misleading"), ("unverifiable", "Unverifiable")):
        verdict(client, claim["id"], status=status)
        doc = json.loads(review(client, claim["id"]).data)
        VALIDATOR.validate(doc)
        assert doc["reviewRating"] == {"@type": "Rating", "alternateName": name}
        assert doc["itemReviewed"]["author"] == {"@type": "Organization", "name": "Lumen Energy"}


def test_the_schema_catches_what_google_requires():
    assert not VALIDATOR.is_valid({"@context": "https://schema.org", "@type": "ClaimReview"})
