"""The store on its own: transactions, idempotency, indexes and paging, on a real Redis."""
from __future__ import annotations

import pytest

from helpers import claim_record
from service.store import BadCursor, DedupKey, Keys, Store, decode_cursor, encode_cursor
from service.store import claim_reading


def new_article(store: Store, text: str = "Okafor said it.") -> str:
    article, created = store.create_article({"text": text}, [], lambda pipe, aid: None)
    assert created
    return article["id"]


def test_save_claims_is_all_or_nothing_and_only_once(store, redis):
    aid = new_article(store)
    assert store.start_processing(aid) == ("Okafor said it.", 1)
    claims = [claim_record("it", 12), claim_record("Okafor", 0)]
    assert store.save_claims(aid, claims) is True
    assert store.save_claims(aid, claims) is False
    assert redis.zcard(Keys.article_claims(aid)) == 2
    assert redis.zcard(Keys.claims) == 2
    assert store.get_article(aid)["claim_count"] == 2
    # stored in text order whatever order extraction gave
    assert [c["text"] for c in store.article_claims(aid).items] == ["Okafor", "it"]
    # a finished article is not processed again
    assert store.start_processing(aid) is None


def test_failure_status_never_overwrites_done(store):
    aid = new_article(store)
    store.start_processing(aid)
    store.save_claims(aid, [])
    store.set_article_status(aid, "failed", "late failure report")
    article = store.get_article(aid)
    assert article["status"] == "done" and article["error"] is None


def test_dedup_key_with_ttl_expires(store, redis):
    first, _ = store.create_article({"text": "a"}, [DedupKey("idem", "f" * 64, ttl=100)], lambda p, a: None)
    assert 0 < redis.ttl(Keys.dedup("idem", "f" * 64)) <= 100
    again, created = store.create_article({"text": "b"}, [DedupKey("idem", "f" * 64, ttl=100)], lambda p, a: None)
    assert not created and again["id"] == first["id"]


def test_enqueue_runs_inside_the_article_transaction(store, redis):
    def enqueue_fails(pipe, aid):
        raise RuntimeError("queue unavailable")

    with pytest.raises(RuntimeError):
        store.create_article({"text": "a"}, [DedupKey("ext", "e" * 64)], enqueue_fails)
    # Only the counter that orders articles created in the same millisecond moved.
    assert redis.keys("*") == [Keys.article_seq]


def test_filtered_walk_stops_after_its_budget_and_resumes(store, monkeypatch):
    monkeypatch.setattr(claim_reading, "SCAN_BUDGET", 3)
    aid = new_article(store, "x" * 100)
    store.start_processing(aid)
    claims = [
        claim_record(f"c{i}", i * 3, speaker="Maria Okafor" if i < 10 else "Tom Becker",
                     claim_type="direct" if i >= 8 else "indirect")
        for i in range(20)
    ]
    store.save_claims(aid, claims)
    found, cursor, pages = [], None, 0
    for _ in range(100):
        page = store.list_claims(claim_type="direct", speaker="Maria Okafor", cursor=cursor, limit=50)
        pages += 1
        found += [c["text"] for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert cursor is None
    assert found == ["c9", "c8"]
    assert pages >= 4  # the smaller index (10 members) examined three at a time


def test_unfiltered_last_page_has_no_cursor(store):
    aid = new_article(store, "x" * 10)
    store.start_processing(aid)
    store.save_claims(aid, [claim_record("a", 0), claim_record("b", 2)])
    page = store.list_claims(limit=2)
    assert len(page.items) == 2 and page.next_cursor is None


def test_cursor_round_trip_and_rejection():
    assert decode_cursor(encode_cursor(12345)) == "12345"
    for bad in ("", "abc", encode_cursor(1)[:-1] + "!", "YzE6LTE", "Yzo6MQ"):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


def test_ids_from_outside_never_reach_a_key(store, redis):
    redis.set("ct:article:art_x", "not a hash")
    assert store.get_article("art_x") is None
    assert store.get_claim("clm_1:history") is None
    assert store.list_claims(article_id="art_../../x").items == []
