"""The claim filters added for fact-checkers: words, speaker id, creation time; combined."""
from __future__ import annotations

import pytest

from helpers import claim_record, headers, quote_article, seed_article

pytestmark = pytest.mark.both_topologies


def ids(client, query: str, cursor: str | None = None) -> list[str]:
    """Every claim id the query lists, following next_cursor from `cursor`."""
    items = []
    for _ in range(100):
        page = client.get(f"/v1/claims?{query}&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=headers("read")).json
        items += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_words_must_all_appear_case_and_accent_insensitively(client, store):
    _, a = quote_article(client, store, "The café tax will rise in Zürich", "Maria Okafor")
    _, b = quote_article(client, store, "The tax will fall", "Maria Okafor")
    _, c = quote_article(client, store, "Cafes are closing", "Tom Becker")
    assert ids(client, "q=tax") == [b["id"], a["id"]]
    assert ids(client, "q=CAFE%20tax") == [a["id"]]
    assert ids(client, "q=zurich") == [a["id"]]
    assert ids(client, "q=tax%20closing") == []
    assert ids(client, f"q=tax&speaker_id={a['speaker']['id']}&type=direct") == [b["id"], a["id"]]
    assert ids(client, f"q=cafes&speaker_id={a['speaker']['id']}") == []
    assert c["id"] in ids(client, "q=cafes")


def test_a_query_of_only_common_words_is_rejected(client):
    response = client.get("/v1/claims?q=the%20and%20of", headers=headers("read"))
    assert response.status_code == 422 and "q" in response.json["errors"]


def test_since_and_until_select_by_creation_time(client, store):
    _, first = quote_article(client, store, "First claim", "Maria Okafor")
    _, second = quote_article(client, store, "Second claim", "Maria Okafor")
    everything = [first, second]
    for bound in (first["created_at"], second["created_at"]):
        since = {c["id"] for c in everything if c["created_at"] >= bound}
        until = {c["id"] for c in everything if c["created_at"] <= bound}
        assert set(ids(client, f"since={bound}")) == since
        assert set(ids(client, f"until={bound}")) == until
        assert set(ids(client, f"since={bound}&until={bound}")) == since & until
    assert ids(client, "since=2999-01-01T00:00:00Z") == []
    assert ids(client, "until=2000-01-01T00:00:00Z") == []
    assert ids(client, "since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z") == [second["id"], first["id"]]


def test_filtered_paging_has_no_gaps_or_repeats_while_claims_arrive(client, store):
    text = " ".join(f"Tax claim {i}." for i in range(6))
    aid = seed_article(client, store, text, [claim_record(f"Tax claim {i}", text.index(f"Tax claim {i}"))
                                             for i in range(6)])
    first = client.get("/v1/claims?q=tax&limit=3", headers=headers("read")).json
    quote_article(client, store, "Tax claim late", "Maria Okafor")
    rest = ids(client, "q=tax", cursor=first["next_cursor"])
    seen = [c["id"] for c in first["items"]] + rest
    assert len(seen) == len(set(seen)) == 6
    assert set(seen) == {c["id"] for c in store.claims.of_article(aid).items}


def test_search_can_be_turned_off_and_then_keeps_no_word_index(config, redis):
    from service import create_app
    from service.runtime import EXTENSION

    app = create_app(config.replace(search_index=False))
    client, store = app.test_client(), app.extensions[EXTENSION].repos
    quote_article(client, store, "The tax will fall", "Maria Okafor")
    response = client.get("/v1/claims?q=tax", headers=headers("read"))
    assert response.status_code == 422 and "q" in response.json["errors"]
    assert redis.keys("ct:claims:word:*") == []
    assert len(ids(client, "type=direct")) == 1


def test_speaker_filter_finds_named_speakers_by_any_name_and_unnamed_sources_by_description(client, store):
    _, full = quote_article(client, store, "Taxes will fall", "Maria Okafor")
    _, short = quote_article(client, store, "Rates will rise", "Okafor")
    _, anonymous = quote_article(client, store, "Talks stalled", "senior ministry official", kind="unnamed")
    both = [short["id"], full["id"]]
    assert ids(client, "speaker=maria%20okafor") == both
    assert ids(client, "speaker=OKAFOR") == both
    assert ids(client, "speaker=Senior%20Ministry%20Official") == [anonymous["id"]]
    assert ids(client, "speaker=nobody%20at%20all") == []


def test_article_words_never_become_key_names(client, store, redis):
    quote_article(client, store, "Zyxwvut ministers approved Gdańsk spending", "Maria Okafor")
    word_keys = redis.keys("ct:claims:word:*")
    assert word_keys, "the claim is indexed"
    # ct:claims:word:{digest}:{bucket}: a digest of the word and a number.
    assert all(len(k.split(":")[3]) == 16 and all(c in "0123456789abcdef" for c in k.split(":")[3])
               and k.split(":")[4].isdigit() for k in word_keys)
    assert not [k for k in redis.keys("*") if "zyxwvut" in k.lower() or "gdansk" in k.lower()]
    assert len(ids(client, "q=ZYXWVUT%20gdansk")) == 1


def test_words_are_indexed_after_the_save_and_a_step_left_pending_is_resumed(client, store, redis, config):
    from service.store import Keys
    from workers.worker import build_worker

    text = '"The ferry tax will double," said Maria Okafor.'
    aid = client.post("/v1/articles", json={"text": text}, headers=headers("ingest")).json["id"]
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, [claim_record("The ferry tax will double", 1)])
    # Between the save and its follow-up step (a job killed right after its save): the claim is
    # listed, but not found by its words yet; the article waits in the pending list.
    listed = ids(client, "type=direct")
    assert len(listed) == 1 and ids(client, "q=ferry") == []
    assert redis.zscore(Keys.search_pending, aid) is not None
    # An extraction worker's maintenance pass resumes it.
    redis.zadd(Keys.search_pending, {aid: 0})  # left pending long ago
    build_worker(config, serve="extraction").run_maintenance_tasks()
    assert ids(client, "q=ferry") == listed and redis.zcard(Keys.search_pending) == 0
    assert store.claims.index_words(aid) == 1 and ids(client, "q=ferry") == listed, "idempotent"


def test_an_article_taken_down_before_its_words_are_indexed_leaves_no_word_entries(client, store, redis):
    from service.store import Keys

    aid = client.post("/v1/articles", json={"text": '"Fares will rise," said Tom Becker.'},
                      headers=headers("ingest")).json["id"]
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, [claim_record("Fares will rise", 1, speaker="Tom Becker")])
    store.articles.delete(aid, "ops")
    assert store.claims.index_words(aid) == 0
    assert redis.keys("ct:claims:word:*") == [] and redis.zcard(Keys.search_pending) == 0


def test_a_word_index_spanning_buckets_pages_in_order_and_a_takedown_empties_it(client, store, redis):
    """A word's index is one set per 4,096 claim seqs (layout.py): claims on both sides of a
    bucket boundary come back newest first, page by page, alone or with a smaller filter that
    is walked while the word is only probed; taking the articles down removes every entry."""
    from service.store import Keys
    from service.store.layout import WORD_BUCKET

    redis.set(Keys.claim_seq, WORD_BUCKET * 2 - 3)  # the next claims straddle buckets 1 and 2
    made = []
    for n in range(3):
        text = " ".join(f"Ferry fares rise {n}{i}." for i in range(2))
        aid = seed_article(client, store, text, [claim_record(f"Ferry fares rise {n}{i}", text.index(f"Ferry fares rise {n}{i}"),
                                                              speaker="Maria Okafor" if i else "Tom Becker")
                                                 for i in range(2)])
        made.append((aid, [c["id"] for c in store.claims.of_article(aid).items]))
    newest_first = sorted((cid for _, cids in made for cid in cids), key=lambda c: -int(c[4:], 36))
    buckets = {int(c[4:], 36) // WORD_BUCKET for c in newest_first}
    assert buckets == {1, 2}, "the claims straddle a bucket boundary"
    assert ids(client, "q=ferry") == newest_first
    assert ids(client, "q=ferry%20fares") == newest_first
    okafor = store.claims.of_article(made[0][0]).items
    sid = next(c["speaker"]["id"] for c in okafor if c["speaker"]["name"] == "Maria Okafor")
    by_okafor = [c for c in newest_first if c in {x["id"] for _, cids in made for x in store.claims.list(speaker_id=sid).items}]
    assert len(by_okafor) == 3 and ids(client, f"q=ferry&speaker_id={sid}") == by_okafor
    cluster = store.claims.get(newest_first[0])["cluster_id"]
    assert ids(client, f"q=ferry&cluster_id={cluster}") == [newest_first[0]]
    assert ids(client, f"q=ferry&cluster_id={cluster}&since=2999-01-01T00:00:00Z") == []
    for aid, _ in made:
        store.articles.delete(aid, "test")
    assert redis.keys("ct:claims:word:*") == [] and ids(client, "q=ferry") == []
