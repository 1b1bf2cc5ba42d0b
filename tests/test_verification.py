"""Verdicts a fact-checker can sign (issue 10), against a real Redis: stance keeps denials and
assertions apart, only the same words share a verdict, near matches are suggestions a person
confirms or splits, a PATCH merges, `not_a_claim` stays out of the way, and every claim shows
where it was said."""
from __future__ import annotations

import pytest

from helpers import claim_record, headers, quote_article, seed_article

pytestmark = pytest.mark.both_topologies

REPAIRS = "road repairs on the ring road would be delayed until the spring"
JOBS = "the company will move 300 jobs to Ohio next year"


def get(client, path: str, who: str = "read") -> dict:
    response = client.get(path, headers=headers(who))
    assert response.status_code == 200, response.json
    return response.json


def patch(client, cid: str, body: dict, **extra: str):
    return client.patch(f"/v1/claims/{cid}/verification", json=body, headers=headers("verify", **extra))


def reported(client, store, verb: str, content: str, speaker: str = "Elena Marsh", stance: str = "asserts",
             **fields) -> dict:
    """An article where `speaker` <verb> that <content>, stored as the extractor would."""
    text = f"Mayor {speaker} {verb} that {content}. The council meets on Friday."
    aid = seed_article(client, store, text, [claim_record(content, text.index(content), speaker=speaker,
                                                          claim_type="indirect", stance=stance)], **fields)
    return get(client, f"/v1/articles/{aid}/claims")["items"][0]


def events(client) -> list[dict]:
    return get(client, "/v1/events?limit=1000")["items"]


# -- 1, 2: stance and what joins a cluster ----------------------------------------------------

def test_a_denial_and_an_admission_are_never_one_cluster(client, store):
    denied = reported(client, store, "denied", REPAIRS, stance="denies")
    assert denied["stance"] == "denies"
    assert patch(client, denied["id"], {"status": "false"}).status_code == 200
    admitted = reported(client, store, "admitted", REPAIRS)
    assert admitted["cluster_id"] != denied["cluster_id"]
    assert admitted["verification"]["status"] == "unverified"
    denied_again = reported(client, store, "denied", REPAIRS.upper() + "!", stance="denies")
    assert denied_again["cluster_id"] == denied["cluster_id"]
    assert denied_again["verification"]["status"] == "false"


def test_to_ohio_and_from_ohio_never_share_a_verdict(client, store):
    to = reported(client, store, "said", JOBS, speaker="Nadia Brennan")
    patch(client, to["id"], {"status": "true"})
    away = reported(client, store, "said", JOBS.replace(" to ", " from "), speaker="Nadia Brennan")
    assert away["cluster_id"] != to["cluster_id"]
    assert away["verification"]["status"] == "unverified"
    # ... but it is suggested, with the word that differs.
    similar = get(client, f"/v1/claims/{away['id']}/similar")["items"]
    assert [s["cluster_id"] for s in similar] == [to["cluster_id"]]
    assert similar[0]["differences"] == [{"this": "from", "other": "to"}]
    assert 0.8 <= similar[0]["score"] < 1
    assert similar[0]["claim"]["id"] == to["id"]


def test_stance_filter_and_record(client, store):
    denied = reported(client, store, "denied", REPAIRS, stance="denies")
    asked = reported(client, store, "asked whether", "the bridge was safe", stance="questions")
    said = reported(client, store, "said", JOBS)

    def ids(query: str) -> list[str]:
        return [c["id"] for c in get(client, f"/v1/claims?{query}")["items"]]

    assert ids("stance=denies") == [denied["id"]]
    assert ids("stance=questions") == [asked["id"]]
    assert ids("stance=asserts") == [said["id"]]
    assert ids("stance=asserts&speaker=Elena%20Marsh") == [said["id"]]
    assert client.get("/v1/claims?stance=maybe", headers=headers("read")).status_code == 422


# -- 2: suggestions, confirm and split --------------------------------------------------------

def test_confirming_a_suggestion_links_the_claim_and_records_who(client, store):
    to = reported(client, store, "said", JOBS, speaker="Nadia Brennan")
    patch(client, to["id"], {"status": "mostly_true", "note": "300 is the union's figure"})
    near = reported(client, store, "said", JOBS.replace("300", "three hundred"), speaker="Nadia Brennan")
    assert near["cluster_id"] != to["cluster_id"]
    response = client.post(f"/v1/clusters/{to['cluster_id']}/claims", json={"claim_id": near["id"]},
                           headers=headers("verify"))
    assert response.status_code == 200, response.json
    linked = response.json
    assert linked["cluster_id"] == to["cluster_id"]
    assert linked["verification"]["status"] == "mostly_true"
    assert linked["verification"]["note"] == "300 is the union's figure"
    assert response.headers["ETag"] == f'"{linked["version"]}"' and linked["version"] == 2
    history = get(client, f"/v1/claims/{near['id']}/history")["items"]
    assert [(h["from"], h["to"], h["by"], h["linked_to"]) for h in history] == [
        ("unverified", "mostly_true", "alice", to["cluster_id"])]
    cluster = get(client, f"/v1/clusters/{to['cluster_id']}")
    assert cluster["size"] == 2
    assert [(e["action"], e["claim_id"], e["by"]) for e in cluster["log"]] == [("linked", near["id"], "alice")]
    # A later verdict on the cluster now reaches the linked claim.
    patch(client, to["id"], {"status": "true"})
    assert get(client, f"/v1/claims/{near['id']}")["verification"]["status"] == "true"
    # Linking again changes nothing.
    again = client.post(f"/v1/clusters/{to['cluster_id']}/claims", json={"claim_id": near["id"]},
                        headers=headers("verify"))
    assert again.status_code == 200 and again.json["version"] == get(client, f"/v1/claims/{near['id']}")["version"]
    assert len(get(client, f"/v1/claims/{near['id']}/history")["items"]) == 2
    assert any(e["type"] == "claim.linked" for e in events(client))


def test_links_across_stances_or_speakers_are_refused(client, store):
    said = reported(client, store, "said", REPAIRS)
    denied = reported(client, store, "denied", REPAIRS, stance="denies")
    other = reported(client, store, "said", REPAIRS, speaker="Tom Hale")
    for claim in (denied, other):
        response = client.post(f"/v1/clusters/{said['cluster_id']}/claims", json={"claim_id": claim["id"]},
                               headers=headers("verify"))
        assert response.status_code == 409
        assert response.json["type"] == "/problems/not-linkable"
    assert client.post(f"/v1/clusters/{said['cluster_id']}/claims", json={"claim_id": said["id"]},
                       headers=headers("read")).status_code == 403
    assert client.post("/v1/clusters/cls_zzzz/claims", json={"claim_id": said["id"]},
                       headers=headers("verify")).status_code == 404
    assert client.post(f"/v1/clusters/{said['cluster_id']}/claims", json={"claim_id": "clm_zzzz"},
                       headers=headers("verify")).status_code == 404


def test_splitting_a_claim_out_keeps_its_verdict_and_stops_propagation(client, store):
    quote = "We will cut the fuel tax by ten percent before the winter"
    _, first = quote_article(client, store, quote, "Maria Okafor")
    _, second = quote_article(client, store, quote, "Maria Okafor")
    _, third = quote_article(client, store, quote, "Maria Okafor")
    cluster = first["cluster_id"]
    assert {second["cluster_id"], third["cluster_id"]} == {cluster}
    patch(client, first["id"], {"status": "false"})
    # The cluster's first claim, whose id the cluster carries, can be split out too.
    for claim in (first, third):
        response = client.delete(f"/v1/clusters/{cluster}/claims/{claim['id']}", headers=headers("verify"))
        assert response.status_code == 200, response.json
        split = response.json
        assert split["cluster_id"] != cluster
        assert split["verification"]["status"] == "false"
        history = get(client, f"/v1/claims/{claim['id']}/history")["items"]
        assert history[-1]["split_from"] == cluster and history[-1]["by"] == "alice"
        assert get(client, f"/v1/clusters/{split['cluster_id']}")["size"] == 1
    assert get(client, f"/v1/clusters/{cluster}")["size"] == 1
    assert [e["action"] for e in get(client, f"/v1/clusters/{cluster}")["log"]] == ["split", "split"]
    patch(client, second["id"], {"status": "true"})
    assert get(client, f"/v1/claims/{first['id']}")["verification"]["status"] == "false"
    assert get(client, f"/v1/claims/{third['id']}")["verification"]["status"] == "false"
    alone = client.delete(f"/v1/clusters/{cluster}/claims/{second['id']}", headers=headers("verify"))
    assert alone.status_code == 409
    assert client.delete(f"/v1/clusters/{cluster}/claims/{first['id']}", headers=headers("verify")).status_code == 404


# -- 3: PATCH is a merge ----------------------------------------------------------------------

def test_patch_merges_and_a_patch_that_changes_nothing_writes_nothing(client, store):
    claim = reported(client, store, "said", JOBS)
    body = {"status": "false", "note": "the plant is in Texas", "evidence": ["https://data.example.org/jobs"],
            "review_url": "https://factcheck.example.org/jobs"}
    assert patch(client, claim["id"], body).json["version"] == 2
    kept = patch(client, claim["id"], {"status": "mostly_false"}).json
    assert kept["verification"] | {"updated_at": None} == {
        "status": "mostly_false", "note": "the plant is in Texas", "evidence": ["https://data.example.org/jobs"],
        "review_url": "https://factcheck.example.org/jobs", "updated_by": "alice", "updated_at": None}
    assert kept["version"] == 3
    before = len(events(client))
    for same in ({"status": "mostly_false"}, {}, {"note": "the plant is in Texas"},
                 {"evidence": ["https://data.example.org/jobs"]}):
        response = patch(client, claim["id"], same, **{"If-Match": '"3"'})
        assert response.status_code == 200
        assert response.json["version"] == 3 and response.headers["ETag"] == '"3"'
    assert len(get(client, f"/v1/claims/{claim['id']}/history")["items"]) == 2
    assert len(events(client)) == before
    cleared = patch(client, claim["id"], {"note": None, "evidence": [], "review_url": None}).json
    assert cleared["verification"]["status"] == "mostly_false"
    assert (cleared["verification"]["note"], cleared["verification"]["evidence"],
            cleared["verification"]["review_url"]) == (None, [], None)


@pytest.mark.parametrize("value", ['""', 'W/""', "garbage", '"1", garbage', '["1"]', "1", '"1",,', 'W/', '"-1"'])
def test_malformed_if_match_is_400_and_changes_nothing(client, store, value):
    claim = reported(client, store, "said", JOBS)
    response = patch(client, claim["id"], {"status": "true"}, **{"If-Match": value})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert get(client, f"/v1/claims/{claim['id']}")["version"] == 1


def test_if_match_lists_and_weak_tags_are_understood(client, store):
    claim = reported(client, store, "said", JOBS)
    assert patch(client, claim["id"], {"status": "true"}, **{"If-Match": '"7", W/"1"'}).status_code == 200
    assert patch(client, claim["id"], {"status": "false"}, **{"If-Match": '"1", "3"'}).status_code == 412


# -- 3: not_a_claim ---------------------------------------------------------------------------

def test_not_a_claim_leaves_lists_never_propagates_and_has_no_claimreview(client, store):
    quote = "We will cut the fuel tax by ten percent before the winter"
    aid, wrong = quote_article(client, store, quote, "Maria Okafor")
    _, right = quote_article(client, store, quote, "Maria Okafor")
    assert wrong["cluster_id"] == right["cluster_id"]
    patch(client, wrong["id"], {"status": "not_a_claim", "note": "the quote is the reporter's"})
    assert get(client, f"/v1/claims/{right['id']}")["verification"]["status"] == "unverified"
    listed = [c["id"] for c in get(client, "/v1/claims")["items"]]
    assert wrong["id"] not in listed and right["id"] in listed
    assert get(client, f"/v1/articles/{aid}/claims")["items"] == []
    assert [c["id"] for c in get(client, f"/v1/articles/{aid}/claims?include=not_a_claim")["items"]] == [wrong["id"]]
    assert [c["id"] for c in get(client, "/v1/claims?status=not_a_claim")["items"]] == [wrong["id"]]
    assert wrong["id"] in [c["id"] for c in get(client, "/v1/claims?include=not_a_claim")["items"]]
    assert [c["id"] for c in get(client, f"/v1/claims?cluster_id={wrong['cluster_id']}")["items"]] == [right["id"]]
    # A verdict on the cluster does not overwrite the mark.
    patch(client, right["id"], {"status": "false"})
    assert get(client, f"/v1/claims/{wrong['id']}")["verification"]["status"] == "not_a_claim"
    review = client.get(f"/v1/claims/{wrong['id']}/claimreview?draft=true", headers=headers("read"))
    assert review.status_code == 409


# -- 4: context and article -------------------------------------------------------------------

def test_every_claim_shows_its_context_and_article(client, store):
    text = ("City Hall was quiet on Monday. Gov. Nadia Brennan said that the company will move 300 jobs to Ohio "
            "next year, citing lower taxes. \"It is done,\" she added.\nA second paragraph follows.")
    content = "the company will move 300 jobs to Ohio next year"
    aid = seed_article(client, store, text, [claim_record(content, text.index(content), speaker="Nadia Brennan",
                                                          claim_type="indirect")],
                       title="Jobs leave the city", url="https://news.example/jobs", source="Example News",
                       published_at="2026-11-30T08:00:00Z")
    listed = get(client, f"/v1/articles/{aid}/claims")["items"][0]
    assert listed["article"] == {"id": aid, "title": "Jobs leave the city", "url": "https://news.example/jobs",
                                 "source": "Example News", "published_at": "2026-11-30T08:00:00.000Z"}
    sentence = ("Gov. Nadia Brennan said that the company will move 300 jobs to Ohio next year, "
                "citing lower taxes.")
    assert get(client, f"/v1/claims/{listed['id']}")["context"] == sentence
    assert get(client, "/v1/claims?include=context")["items"][0]["context"] == sentence
    assert get(client, f"/v1/articles/{aid}/claims?include=context,not_a_claim")["items"][0]["context"] == sentence
    assert client.get("/v1/claims?include=everything", headers=headers("read")).status_code == 422
