"""The speaker registry across articles: linking, search, rename and merge."""
from __future__ import annotations

import pytest

from helpers import headers, quote_article

pytestmark = pytest.mark.both_topologies


def speaker(client, sid: str) -> dict:
    response = client.get(f"/v1/speakers/{sid}", headers=headers("read"))
    assert response.status_code == 200, response.json
    return response.json


def test_a_surname_alone_links_to_the_one_known_person_with_it(client, store):
    _, first = quote_article(client, store, "We are fighting terrorism", "Vladimir Putin", title="Russian President")
    _, second = quote_article(client, store, "There was no answer", "Putin")
    assert second["speaker"]["id"] == first["speaker"]["id"]
    assert second["speaker"]["name"] == "Putin"  # as that article gave it
    record = speaker(client, first["speaker"]["id"])
    assert record["name"] == "Vladimir Putin"
    assert record["aliases"] == ["Putin"]
    assert record["titles"] == ["Russian President"]
    assert record["claim_count"] == 2
    assert record["first_seen"] <= record["last_seen"]
    claims = client.get(f"/v1/speakers/{record['id']}/claims", headers=headers("read")).json["items"]
    assert [c["id"] for c in claims] == [second["id"], first["id"]]


def test_a_known_surname_is_upgraded_when_the_full_name_arrives(client, store):
    _, bare = quote_article(client, store, "The plan is sound", "Okafor")
    _, full = quote_article(client, store, "The budget balances", "Maria Okafor")
    assert full["speaker"]["id"] == bare["speaker"]["id"]
    record = speaker(client, bare["speaker"]["id"])
    assert record["name"] == "Maria Okafor" and record["aliases"] == ["Okafor"]


def test_an_ambiguous_surname_is_not_linked(client, store):
    _, maria = quote_article(client, store, "Taxes will fall", "Maria Okafor")
    _, john = quote_article(client, store, "Taxes will rise", "John Okafor")
    _, bare = quote_article(client, store, "Nobody knows", "Okafor")
    assert len({maria["speaker"]["id"], john["speaker"]["id"], bare["speaker"]["id"]}) == 3


def test_full_names_agree_despite_a_middle_initial_and_organisations_despite_the_article(client, store):
    _, a = quote_article(client, store, "One", "George W. Bush")
    _, b = quote_article(client, store, "Two", "George Bush")
    assert a["speaker"]["id"] == b["speaker"]["id"]
    _, c = quote_article(client, store, "Three", "The Health Ministry", kind="organization")
    _, d = quote_article(client, store, "Four", "health ministry", kind="organization")
    assert c["speaker"]["id"] == d["speaker"]["id"]


def test_unnamed_sources_are_never_merged_across_articles(client, store):
    _, a = quote_article(client, store, "Talks stalled", "senior ministry official", kind="unnamed")
    _, b = quote_article(client, store, "Talks resumed", "senior ministry official", kind="unnamed")
    assert a["speaker"]["id"] != b["speaker"]["id"]
    assert speaker(client, a["speaker"]["id"])["kind"] == "unnamed"
    listed = client.get("/v1/speakers?q=senior", headers=headers("read")).json["items"]
    assert listed == []


def test_prefix_search_is_case_and_accent_insensitive_and_pages_without_repeats(client, store):
    for name in ("José Núñez", "Josephine Baker", "Jonas Berg", "Priya Raman"):
        quote_article(client, store, f"A quote by {name}", name)
    names = lambda q, limit=50: [s["name"] for s in client.get(  # noqa: E731
        f"/v1/speakers?q={q}&limit={limit}", headers=headers("read")).json["items"]]
    assert names("JOSE") == ["José Núñez", "Josephine Baker"]
    assert names("nunez") == ["José Núñez"]
    assert names("ram") == ["Priya Raman"]
    seen, cursor = [], None
    for _ in range(10):
        page = client.get("/v1/speakers?q=jo&limit=1" + (f"&cursor={cursor}" if cursor else ""),
                          headers=headers("read")).json
        seen += [s["name"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and set(seen) == {"Jonas Berg", "José Núñez", "Josephine Baker"}


def test_rename_moves_the_claims_and_keeps_the_old_name_as_alias(client, store):
    _, claim = quote_article(client, store, "Rates will hold", "Jon Smyth")
    sid = claim["speaker"]["id"]
    response = client.patch(f"/v1/speakers/{sid}", json={"name": "Jonathan Smyth"}, headers=headers("admin"))
    assert response.status_code == 200
    assert response.json["name"] == "Jonathan Smyth" and response.json["aliases"] == ["Jon Smyth"]
    moved = client.get(f"/v1/claims/{claim['id']}", headers=headers("read")).json
    assert moved["speaker"]["name"] == "Jonathan Smyth"
    by_name = lambda n: [c["id"] for c in client.get(f"/v1/claims?speaker={n}",  # noqa: E731
                                                     headers=headers("read")).json["items"]]
    assert by_name("jonathan%20smyth") == [claim["id"]]
    assert by_name("jon%20smyth") == [claim["id"]], "the old name is an alias of the same speaker"
    found = client.get("/v1/speakers?q=jonathan", headers=headers("read")).json["items"]
    assert [s["id"] for s in found] == [sid], "the new name is searchable"


def test_merge_moves_claims_keeps_histories_and_is_announced(client, store):
    _, a = quote_article(client, store, "Exports grew", "Ana Silva")
    _, b = quote_article(client, store, "Imports fell", "Ana M. Silva-Costa")
    client.patch(f"/v1/claims/{b['id']}/verification", json={"status": "in_review"}, headers=headers("verify"))
    source, target = b["speaker"]["id"], a["speaker"]["id"]
    response = client.patch(f"/v1/speakers/{source}", json={"merge_into": target}, headers=headers("admin"))
    assert response.status_code == 200
    merged = response.json
    assert merged["id"] == target and merged["claim_count"] == 2
    assert "Ana M. Silva-Costa" in merged["aliases"]
    assert speaker(client, source)["id"] == target
    found = client.get("/v1/speakers?q=silva-costa", headers=headers("read")).json["items"]
    assert [s["id"] for s in found] == [target], "the source's names now find the target, once"
    moved = client.get(f"/v1/claims/{b['id']}", headers=headers("read")).json
    assert moved["speaker"]["id"] == target and moved["speaker"]["name"] == "Ana Silva"
    assert moved["verification"]["status"] == "in_review"
    history = client.get(f"/v1/claims/{b['id']}/history", headers=headers("read")).json["items"]
    assert [(h["from"], h["to"]) for h in history] == [("unverified", "in_review")]
    claims = client.get(f"/v1/speakers/{target}/claims", headers=headers("read")).json["items"]
    assert {c["id"] for c in claims} == {a["id"], b["id"]}
    events = client.get("/v1/events?limit=1000", headers=headers("read")).json["items"]
    assert {"speaker_id": source, "merged_into": target, "claims_moved": 1} in [
        e["data"] for e in events if e["type"] == "speaker.merged"]
    # A later article naming the merged speaker lands on the target.
    _, later = quote_article(client, store, "Trade is balanced", "Ana M. Silva-Costa")
    assert later["speaker"]["id"] == target


def test_speaker_changes_are_validated(client, store):
    _, claim = quote_article(client, store, "Hello", "Tom Becker")
    sid = claim["speaker"]["id"]
    patch = lambda body, who="admin": client.patch(f"/v1/speakers/{sid}", json=body,  # noqa: E731
                                                   headers=headers(who))
    assert patch({"merge_into": sid}).status_code == 409
    assert patch({"merge_into": "spk_0000000000000000"}).status_code == 404
    assert patch({}).status_code == 422
    assert patch({"name": "X", "merge_into": sid}).status_code == 422
    assert patch({"name": "  "}).status_code == 422
    assert patch({"name": "Tom Becker II"}, who="verify").status_code == 403
    assert client.patch("/v1/speakers/spk_0000000000000000", json={"name": "Y"},
                        headers=headers("admin")).status_code == 404
    assert client.get("/v1/speakers/nope", headers=headers("read")).status_code == 404


def test_prefix_search_finds_names_whose_next_letter_is_above_u00ff(client, store):
    for name in ("Lech Wałęsa", "Kemal Kılıçdaroğlu", "Wang Wei", "Karl Marx"):
        quote_article(client, store, f"A quote by {name}", name)
    names = lambda q: sorted(s["name"] for s in client.get(  # noqa: E731
        f"/v1/speakers?q={q}", headers=headers("read")).json["items"])
    assert names("wa") == ["Lech Wałęsa", "Wang Wei"]
    assert names("k") == ["Karl Marx", "Kemal Kılıçdaroğlu"]
    assert names("kı") == ["Kemal Kılıçdaroğlu"]
    page = client.get("/v1/speakers?q=wa&limit=1", headers=headers("read")).json
    assert page["next_cursor"] is not None, "the second match is announced past the first page"
