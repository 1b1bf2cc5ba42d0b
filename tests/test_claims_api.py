"""Reading claims and recording verdicts through the API, against a real Redis."""
from __future__ import annotations

import threading

import pytest

from helpers import claim_record, headers, seed_article
from races import Overlap

pytestmark = pytest.mark.both_topologies

TEXT = (
    'Governor Maria Okafor said the dam was safe. "We inspected it twice," Okafor said. '
    "According to the agency, repairs cost $4 million. "
    "Engineer José Núñez warned that the spillway was cracked."
)


def _claims(text: str = TEXT) -> list[dict]:
    def at(fragment: str, **kw) -> dict:
        return claim_record(fragment, text.index(fragment), **kw)

    return [
        at("the dam was safe", claim_type="indirect"),
        at("We inspected it twice"),
        at("repairs cost $4 million", speaker="Lakeshore Water Agency", kind="organization",
           claim_type="indirect"),
        at("the spillway was cracked", speaker="José Núñez", claim_type="indirect"),
    ]


@pytest.fixture
def article_id(client, store):
    return seed_article(client, store, TEXT, _claims())


def all_pages(client, path: str, limit: int) -> list[dict]:
    items, cursor = [], None
    for _ in range(100):
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers("read")).json
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_article_claims_in_text_order_with_spans(client, article_id):
    items = all_pages(client, f"/v1/articles/{article_id}/claims", limit=3)
    assert [c["text"] for c in items] == [c["text"] for c in _claims()]
    for claim in items:
        assert TEXT[claim["span"]["start"]:claim["span"]["end"]] == claim["text"]
        assert claim["article_id"] == article_id
        assert claim["verification"] == {"status": "unverified", "note": None, "evidence": [], "review_url": None,
                                         "updated_by": None, "updated_at": None}
        assert claim["version"] == 1
        assert claim["stance"] == "asserts"
        assert claim["article"] == {"id": article_id, "title": None, "url": None, "source": None,
                                    "published_at": None}
        assert "context" not in claim


def test_article_is_done_with_its_claim_count(client, article_id):
    article = client.get(f"/v1/articles/{article_id}", headers=headers("read")).json
    assert article["status"] == "done"
    assert article["claim_count"] == 4
    assert article["processed_at"] is not None


def test_get_claim_with_etag(client, article_id):
    first = client.get(f"/v1/articles/{article_id}/claims?limit=1", headers=headers("read")).json["items"][0]
    response = client.get(f"/v1/claims/{first['id']}", headers=headers("read"))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json == {**first, "context": "Governor Maria Okafor said the dam was safe."}
    assert set(response.json) >= {"id", "article_id", "text", "type", "speaker", "cue", "span", "stance",
                                  "verification", "created_at", "version", "article", "context"}
    assert set(response.json["speaker"]) >= {"id", "name", "mention"}


def test_list_newest_first_across_articles(client, store, article_id):
    second = seed_article(client, store, "Okafor said taxes would fall.",
                          [claim_record("taxes would fall", 13, claim_type="indirect")])
    items = all_pages(client, "/v1/claims", limit=2)
    assert len(items) == 5
    assert items[0]["article_id"] == second
    created = [c["created_at"] for c in items]
    assert created == sorted(created, reverse=True)


def test_filters_combine(client, store, article_id):
    seed_article(client, store, "Okafor said taxes would fall.",
                 [claim_record("taxes would fall", 13, claim_type="indirect")])

    def texts(query: str) -> list[str]:
        return [c["text"] for c in all_pages(client, f"/v1/claims?{query}", limit=50)]

    assert texts("speaker=maria%20okafor") == ["taxes would fall", "We inspected it twice", "the dam was safe"]
    assert texts("speaker=JOSE%20NUNEZ") == ["the spillway was cracked"]
    assert texts("type=direct") == ["We inspected it twice"]
    assert texts(f"article_id={article_id}&type=indirect&speaker=Maria%20Okafor") == ["the dam was safe"]
    assert texts("status=true") == []
    assert texts("article_id=art_0000000000000000") == []


def test_cursor_pages_have_no_gaps_or_repeats_while_claims_arrive(client, store, article_id):
    page = client.get("/v1/claims?limit=2", headers=headers("read")).json
    seen = [c["id"] for c in page["items"]]
    seed_article(client, store, "Okafor said rates rose.", [claim_record("rates rose", 13)])
    rest = client.get(f"/v1/claims?limit=10&cursor={page['next_cursor']}", headers=headers("read")).json
    seen += [c["id"] for c in rest["items"]]
    assert rest["next_cursor"] is None
    assert len(seen) == len(set(seen)) == 4


def test_bad_paging_arguments(client, article_id):
    for query, status in (("limit=0", 422), ("limit=201", 422), ("limit=10000000000000000000", 422),
                          ("limit=ten", 422), ("cursor=bm9wZQ", 400), ("cursor=%00%01", 400),
                          ("status=bogus", 422), ("type=rumour", 422)):
        response = client.get(f"/v1/claims?{query}", headers=headers("read"))
        assert response.status_code == status, query
        assert response.mimetype == "application/problem+json"


def first_claim(client, article_id: str) -> dict:
    return client.get(f"/v1/articles/{article_id}/claims?limit=1", headers=headers("read")).json["items"][0]


def patch(client, claim_id: str, body: dict, who: str = "verify", **extra: str):
    return client.patch(f"/v1/claims/{claim_id}/verification", json=body, headers=headers(who, **extra))


def test_verification_update_is_recorded_with_history(client, article_id):
    claim = first_claim(client, article_id)
    response = patch(client, claim["id"], {"status": "in_review", "note": "checking"}, **{"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    verification = response.json["verification"]
    assert verification["status"] == "in_review"
    assert verification["updated_by"] == "alice"
    assert verification["note"] == "checking"
    response = patch(client, claim["id"], {"status": "false", "evidence": ["https://data.example.org/dam"]},
                     who="verify2")
    assert response.json["version"] == 3
    history = client.get(f"/v1/claims/{claim['id']}/history", headers=headers("read")).json["items"]
    assert [(h["from"], h["to"], h["by"]) for h in history] == [
        ("unverified", "in_review", "alice"), ("in_review", "false", "bob")]
    assert history[1]["evidence"] == ["https://data.example.org/dam"]
    # A PATCH is a merge: the note set first is kept by the second update.
    assert history[0]["note"] == "checking" and history[1]["note"] == "checking"
    assert all(h["at"].endswith("Z") for h in history)


def test_verification_moves_the_claim_between_status_filters(client, article_id):
    claim = first_claim(client, article_id)
    patch(client, claim["id"], {"status": "mostly_true"})
    ids = lambda status: [c["id"] for c in client.get(f"/v1/claims?status={status}",  # noqa: E731
                                                      headers=headers("read")).json["items"]]
    assert ids("mostly_true") == [claim["id"]]
    assert claim["id"] not in ids("unverified")
    assert len(ids("unverified")) == 3


def test_stale_if_match_is_412_and_changes_nothing(client, article_id):
    claim = first_claim(client, article_id)
    assert patch(client, claim["id"], {"status": "true"}, **{"If-Match": '"1"'}).status_code == 200
    stale = patch(client, claim["id"], {"status": "false"}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json["type"] == "/problems/stale-version"
    assert stale.headers["ETag"] == '"2"'
    garbage = patch(client, claim["id"], {"status": "false"}, **{"If-Match": '"abc"'})
    assert garbage.status_code == 400
    current = client.get(f"/v1/claims/{claim['id']}", headers=headers("read")).json
    assert current["verification"]["status"] == "true"
    assert len(client.get(f"/v1/claims/{claim['id']}/history", headers=headers("read")).json["items"]) == 1
    assert patch(client, claim["id"], {"status": "false"}, **{"If-Match": "*"}).status_code == 200
    assert patch(client, claim["id"], {"status": "half_true"}, **{"If-Match": 'W/"3"'}).status_code == 200


@pytest.mark.watch_race
def test_concurrent_patches_with_one_etag_let_exactly_one_win(app, client, store, article_id):
    """All twenty read version 1 and pass the If-Match check before any writes (a barrier
    between WATCH and EXEC); the WATCH sends nineteen back to read version 2 and answer 412."""
    claim = first_claim(client, article_id)
    overlap = Overlap(store, "update_verification", parties=20)
    codes: list[int] = []

    def send(i: int) -> None:
        response = app.test_client().patch(
            f"/v1/claims/{claim['id']}/verification", json={"status": "false", "note": f"client {i}"},
            headers=headers("verify", **{"If-Match": '"1"'}))
        codes.append(response.status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlap.calls == 20
    assert sorted(codes) == [200] + [412] * 19
    assert len(client.get(f"/v1/claims/{claim['id']}/history", headers=headers("read")).json["items"]) == 1


def test_invalid_verification_bodies(client, article_id):
    claim = first_claim(client, article_id)
    for body, field in (({"status": "fake"}, "status"), ({"review_url": "ftp://x.example/a"}, "review_url"), ({"status": "true", "evidence": "x"}, "evidence"),
                        ({"status": "true", "evidence": ["not a url"]}, "evidence"),
                        ({"status": "true", "verdict": "x"}, "verdict"), ({"status": None}, "status")):
        response = patch(client, claim["id"], body)
        assert response.status_code == 422, body
        assert field in response.json["errors"], response.json
    assert client.get(f"/v1/claims/{claim['id']}", headers=headers("read")).json["version"] == 1


def test_unknown_claims_are_404(client, article_id):
    for cid in ("clm_0000000000000000", "whatever", "clm_x:history"):
        assert client.get(f"/v1/claims/{cid}", headers=headers("read")).status_code == 404
        assert client.get(f"/v1/claims/{cid}/history", headers=headers("read")).status_code == 404
        assert patch(client, cid, {"status": "true"}).status_code == 404
