"""The store on its own: transactions, idempotency, indexes and paging, on a real Redis."""
from __future__ import annotations

import pytest

from helpers import claim_record, stored_claim_count
from service.store import BadCursor, DedupKey, Keys, Repositories, decode_cursor, encode_cursor
from service.store import reads

pytestmark = pytest.mark.both_topologies


def new_article(store: Repositories, text: str = "Okafor said it.") -> str:
    article, created = store.articles.create({"text": text}, [], lambda pipe, aid: None)
    assert created
    return article["id"]


def test_save_claims_is_all_or_nothing_and_only_once(store, redis):
    aid = new_article(store)
    assert store.jobs.start_processing(aid) == ("Okafor said it.", 1)
    claims = [claim_record("it", 12), claim_record("Okafor", 0)]
    assert store.claims.save(aid, claims) is True
    assert store.claims.save(aid, claims) is False
    assert redis.zcard(Keys.article_claims(aid)) == 2
    assert stored_claim_count(redis) == 2
    assert store.articles.get(aid)["claim_count"] == 2
    # stored in text order whatever order extraction gave
    assert [c["text"] for c in store.claims.of_article(aid).items] == ["Okafor", "it"]
    # a finished article is not processed again
    assert store.jobs.start_processing(aid) is None


def test_failure_status_never_overwrites_done(store):
    aid = new_article(store)
    store.jobs.start_processing(aid)
    store.claims.save(aid, [])
    store.jobs.set_status(aid, "failed", "late failure report")
    article = store.articles.get(aid)
    assert article["status"] == "done" and article["error"] is None


def test_dedup_key_with_ttl_expires(store, redis):
    first, _ = store.articles.create({"text": "a"}, [DedupKey("idem", "f" * 64, ttl=100)], lambda p, a: None)
    assert 0 < redis.ttl(Keys.dedup("idem", "f" * 64)) <= 100
    again, created = store.articles.create({"text": "b"}, [DedupKey("idem", "f" * 64, ttl=100)], lambda p, a: None)
    assert not created and again["id"] == first["id"]


def test_enqueue_runs_inside_the_article_transaction(store, redis):
    def enqueue_fails(pipe, aid):
        raise RuntimeError("queue unavailable")

    with pytest.raises(RuntimeError):
        store.articles.create({"text": "a"}, [DedupKey("ext", "e" * 64)], enqueue_fails)
    # Only the counter that orders articles created in the same millisecond moved.
    assert redis.keys("*") == [Keys.article_seq]


def test_filtered_walk_stops_after_its_budget_and_resumes(store, monkeypatch):
    monkeypatch.setattr(reads, "SCAN_BUDGET", 3)
    aid = new_article(store, "x" * 100)
    store.jobs.start_processing(aid)
    claims = [
        claim_record(f"c{i}", i * 3, speaker="Maria Okafor" if i < 10 else "Tom Becker",
                     claim_type="direct" if i >= 8 else "indirect")
        for i in range(20)
    ]
    store.claims.save(aid, claims)
    found, cursor, pages = [], None, 0
    for _ in range(100):
        page = store.claims.list(claim_type="direct", speaker="Maria Okafor", cursor=cursor, limit=50)
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
    store.jobs.start_processing(aid)
    store.claims.save(aid, [claim_record("a", 0), claim_record("b", 2)])
    page = store.claims.list(limit=2)
    assert len(page.items) == 2 and page.next_cursor is None


def test_cursor_round_trip_and_rejection():
    assert decode_cursor(encode_cursor(12345)) == "12345"
    for bad in ("", "abc", encode_cursor(1)[:-1] + "!", "YzE6LTE", "Yzo6MQ"):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


def test_ids_from_outside_never_reach_a_key(store, redis):
    redis.set("ct:article:art_x", "not a hash")
    assert store.articles.get("art_x") is None
    assert store.claims.get("clm_1:history") is None
    assert store.claims.list(article_id="art_../../x").items == []


def test_a_bucketed_index_walks_dense_and_sparse_buckets_in_seq_order(store, redis):
    """A bucketed index (layout.py) is walked bucket by bucket: a dense bucket (more than an
    eighth of its seqs) seq after seq, a sparse one by sorting its members; newest first and
    oldest first, page by page from each page's bound, and probed by the bucket of a seq."""
    from service.store.layout import WORD_BUCKET

    prefix = "ct:claims:type:direct:"
    dense = list(range(0, 1500, 2))  # 750 members in bucket 0: dense
    sparse = [WORD_BUCKET + 5, WORD_BUCKET + 70, 3 * WORD_BUCKET + 1]  # buckets 1 and 3 (2 is empty)
    redis.sadd(prefix + "0", *dense)
    redis.sadd(prefix + "1", 5, 70)
    redis.sadd(prefix + "3", 1)
    redis.set(Keys.claim_seq, 3 * WORD_BUCKET + 9)
    everything = dense + sparse

    def walk(direction: str, limit: int) -> list[int]:
        seen, bound = [], ""
        for _ in range(1000):
            ids, last, exhausted = store.conn.page(keys=[prefix], args=[direction, bound, limit, 2000, "", 0,
                                                                         Keys.claim_seq])
            seen += [int(cid[4:], 36) for cid in ids]
            if int(exhausted):
                return seen
            bound = str(last)
        raise AssertionError("the walk never ended")

    assert walk("desc", 50) == sorted(everything, reverse=True)
    assert walk("asc", 64) == sorted(everything)
    with redis.pipeline(transaction=False) as pipe:
        for seq in (2, 3, WORD_BUCKET + 70, WORD_BUCKET + 71, 3 * WORD_BUCKET + 1):
            reads.has_claim(pipe, prefix, "clm_" + encode_base36(seq))
        assert [bool(x) for x in pipe.execute()] == [True, False, True, False, True]


def test_the_newest_page_of_a_bucketed_index_follows_the_claim_counter(store, redis):
    """A page from the newest claim starts at the claim counter, read again for every page
    (on a cluster, in the round trip that probes the first window, guessed from the counter
    the last page saw): claims saved since, a few or many, are on it; an entry above the
    counter (a save seen half way) is not; a counter that went back (a store emptied) is
    followed too."""
    prefix = "ct:claims:type:direct:"

    def newest(limit: int = 20) -> list[int]:
        ids, _, _ = store.conn.page(keys=[prefix], args=["desc", "", limit, 2000, "", 0, Keys.claim_seq])
        return [int(cid[4:], 36) for cid in ids]

    redis.sadd(prefix + "0", *range(100, 400))
    redis.set(Keys.claim_seq, 399)
    assert newest() == list(range(399, 379, -1))
    assert newest() == list(range(399, 379, -1))
    ids, _, exhausted = store.conn.page(keys=[prefix], args=["desc", "", 5, 2000, "5000", 0, Keys.claim_seq])
    assert ids == [] and int(exhausted), "a page that stops above every claim (since, in the future)"
    redis.sadd(prefix + "0", *range(400, 410))
    redis.set(Keys.claim_seq, 409)
    assert newest() == list(range(409, 389, -1)), "a few claims saved since the last page"
    redis.sadd(prefix + "0", *range(410, 1000, 3))
    redis.set(Keys.claim_seq, 998)
    assert newest(5) == [998, 995, 992, 989, 986], "many claims saved since the last page"
    redis.sadd(prefix + "0", 1003, 1004)
    assert newest(3) == [998, 995, 992], "entries above the counter are not shown yet"
    redis.set(Keys.claim_seq, 1004)
    assert newest(3) == [1004, 1003, 998]
    redis.delete(prefix + "0")
    redis.sadd(prefix + "0", *range(0, 30))
    redis.set(Keys.claim_seq, 29)
    assert newest(4) == [29, 28, 27, 26], "a counter that went back"


def test_a_claim_shows_the_article_its_record_names_even_after_it_was_read_with_another(store, redis):
    """On a cluster a process remembers each claim's article (it never changes) to read it in
    the records' round trip; a record that names another article than remembered (a store
    emptied and filled again, here a record rewritten) is shown with the article it names."""
    import json

    first, second = new_article(store, "Okafor said it."), new_article(store, "Diaz said so.")
    store.jobs.start_processing(first)
    store.claims.save(first, [claim_record("it", 12)])
    cid = store.claims.of_article(first).items[0]["id"]
    assert store.claims.get(cid)["article"]["id"] == first
    assert [c["article"]["id"] for c in store.claims.list().items] == [first]
    record = json.loads(redis.get(Keys.claim(cid)))
    assert record[0] == first
    redis.set(Keys.claim(cid), json.dumps([second, *record[1:]]))
    assert store.claims.get(cid)["article"]["id"] == second
    assert [c["article"]["id"] for c in store.claims.list().items] == [second]


def encode_base36(n: int) -> str:
    from service.store.values import claim_id

    return claim_id(n)[4:]


def test_a_sharded_index_walks_its_shards_merged_by_seq(store, redis):
    """A sharded index (layout.py) is walked by merging its 16 shards by score, newest first and
    oldest first, page by page from each page's bound, down to a stop; however unevenly its
    entries are spread (one shard holding most, some empty), a page is what one sorted set of
    the same entries gives. Probing it (a filter, an exclusion) reads the shard of the seq."""
    from service.store import sharded
    from service.store.layout import shard_keys

    index, other, excluded = Keys.by_status("false"), Keys.by_stance("denies"), Keys.superseded
    crowded = list(range(3, 3 + 16 * 150, 16))  # 150 entries in shard 3
    spread = [s for s in range(1, 200) if s % 16 not in (3, 5, 6)]  # shards 5 and 6 empty
    everything = sorted(set(crowded + spread))
    with redis.pipeline(transaction=False) as pipe:
        sharded.add(pipe, index, {encode(s): s for s in everything})
        sharded.add(pipe, other, {encode(s): s for s in everything if s % 3 == 0})
        sharded.add(pipe, excluded, {encode(s): s for s in everything if s % 2 == 0})
        pipe.execute()
    assert redis.zcard(shard_keys(index)[3]) == 150 + sum(1 for s in spread if s % 16 == 3)
    assert not redis.exists(shard_keys(index)[5])

    def walk(direction: str, limit: int, keys: list[str], excluding: int = 0, stop: str = "") -> list[int]:
        seen, bound = [], ""
        for _ in range(1000):
            ids, last, exhausted = store.conn.page(keys=keys, args=[direction, bound, limit, 5000, stop, excluding])
            seen += [int(cid[4:], 36) for cid in ids]
            if int(exhausted):
                return seen
            bound = str(last)
        raise AssertionError("the walk never ended")

    for limit in (1, 7, 50, 400):
        assert walk("desc", limit, [index]) == everything[::-1], limit
        assert walk("asc", limit, [index]) == everything, limit
    assert walk("desc", 9, [index], stop="100") == [s for s in everything[::-1] if s >= 100]
    assert walk("desc", 9, [index, other]) == [s for s in everything[::-1] if s % 3 == 0]
    assert walk("desc", 9, [index, excluded], excluding=1) == [s for s in everything[::-1] if s % 2]
    assert store.conn.sizes(keys=[index, other], args=[Keys.claim_seq]) == \
        [len(everything), sum(1 for s in everything if s % 3 == 0)]
    assert sharded.after(sharded.pipelined(redis), index, "desc", "1000", "", 20) == \
        [(encode(s), float(s)) for s in everything[::-1] if s < 1000][:20]
    with redis.pipeline(transaction=False) as pipe:
        for seq in (3, 4, 5, 3 + 16 * 149, 3 + 16 * 150):
            reads.has_claim(pipe, index, encode(seq))
        assert [x is not None for x in pipe.execute()] == [True, True, False, True, False]


def encode(seq: int) -> str:
    from service.store.values import claim_id

    return claim_id(seq)
