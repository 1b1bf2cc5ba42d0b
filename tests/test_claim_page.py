"""The console's claim page read (`ClaimRepository.review_page`, service/store/claim_page.py):
in a few pipelined round trips, exactly what the repositories' own reads give one at a time, on
one server and on a Redis Cluster."""
from __future__ import annotations

from typing import Any

import pytest

from service.store import Keys, records
from service.store.claim_page import ClaimPage

from helpers import claim_record, seed_article

pytestmark = pytest.mark.both_topologies

FIRST = "We will cut the fuel tax by ten percent before the winter"
SECOND = "The bridge on Route 9 will reopen in March next year"
THIRD = "Nobody in this town has ever been asked about the plan"


def one_at_a_time(store: Any, cid: str, limit: int, scan: int) -> ClaimPage | None:
    """The page as the console read it before: one repository call per part."""
    claim = store.claims.get(cid)
    if claim is None:
        return None
    ids = store.redis.zrange(Keys.article_claims(claim["article_id"]), 0, -1)
    at = ids.index(cid)
    shared = store.redis.exists(Keys.cluster(claim["cluster_id"]))
    return ClaimPage(
        claim=claim, article=store.articles.get(claim["article_id"]), history=store.verdicts.history(cid),
        cluster=store.clusters.get(claim["cluster_id"]) if shared else None,
        suggestions=store.clusters.similar(cid, limit=limit, scan=scan),
        previous=ids[at - 1] if at > 0 else None, following=ids[at + 1] if at + 1 < len(ids) else None)


def article_of(client: Any, store: Any, quotes: list[str], speaker: str = "Maria Okafor", **fields: Any) -> list[str]:
    """An article holding `quotes` by `speaker`, in order; returns its claims' ids."""
    text, records = "", []
    for quote in quotes:
        start = len(text) + 1
        text += f'"{quote}," {speaker} said. '
        records.append(claim_record(quote, start, speaker=speaker))
    aid = seed_article(client, store, text.strip(), records, **fields)
    return [c["id"] for c in store.claims.of_article(aid).items]


def test_the_claim_page_reads_what_the_repositories_read_one_at_a_time(client, store):
    first, second, third = article_of(client, store, [FIRST, SECOND, THIRD], title="Council meeting",
                                      url="https://a.example/1", published_at="2026-03-02T10:00:00Z")
    # The same words elsewhere (one cluster), words alike (a suggestion), another speaker's claim.
    [repeat] = article_of(client, store, [FIRST], url="https://b.example/2", published_at="2026-03-01T08:00:00Z")
    [alike] = article_of(client, store, ["The bridge on Route 9 will reopen in April next year"],
                         title="Roads", url="https://c.example/3")
    [linked] = article_of(client, store, ["Nobody in the town has ever been asked about this plan"])
    article_of(client, store, [SECOND], speaker="Tom Becker")
    store.verdicts.update(first, {"status": "false", "note": "the budget says 4 percent",
                                  "evidence": ["https://budget.example/2026"]}, by="alice", expected_versions=[1])
    store.clusters.link(store.claims.get(third)["cluster_id"], linked, by="bob")
    assert store.claims.get(first)["cluster_id"] == store.claims.get(repeat)["cluster_id"]

    pages = {}
    for cid in (first, second, third, repeat, alike, linked):
        page = store.claims.review_page(cid, limit=10, scan=100)
        assert page == one_at_a_time(store, cid, 10, 100), cid
        pages[cid] = page
    # What the comparison covers: a shared cluster with its log, history, suggestions, neighbours.
    assert pages[first].cluster["size"] == 2 and [h["to"] for h in pages[first].history] == ["false"]
    assert pages[repeat].cluster["verification"]["status"] == "false"
    assert [e["action"] for e in pages[linked].cluster["log"]] == ["linked"]
    assert [s["claim"]["id"] for s in pages[second].suggestions] == [alike]
    assert pages[second].suggestions[0]["claim"]["article"]["title"] == "Roads"
    assert (pages[first].previous, pages[first].following) == (None, second)
    assert (pages[second].previous, pages[second].following) == (first, third)
    assert pages[first].article["title"] == "Council meeting" and pages[first].claim["context"]
    assert pages[alike].cluster is None and pages[alike].history == []
    # Fewer suggestions when fewer are asked for, as `similar` gives them.
    assert store.claims.review_page(second, limit=0, scan=100).suggestions == []


def test_a_claim_page_of_an_unknown_or_taken_down_claim_is_none(client, store):
    [kept] = article_of(client, store, [FIRST], url="https://a.example/1")
    [gone] = article_of(client, store, [FIRST], url="https://b.example/2")
    aid = store.claims.get(gone)["article_id"]
    store.articles.delete(aid, by="legal")
    assert store.claims.review_page(gone, limit=10, scan=100) is None
    assert store.claims.review_page("clm_zzzz", limit=10, scan=100) is None
    assert store.claims.review_page("not an id", limit=10, scan=100) is None
    page = store.claims.review_page(kept, limit=10, scan=100)
    assert page == one_at_a_time(store, kept, 10, 100)
    assert page.cluster is None or [a["claim_id"] for a in page.cluster["appearances"]] == [kept]


@pytest.mark.parametrize("stored", [
    {"stance": "denies", "status": "false", "cluster_id": "cls_9"},  # every field stored
    {},  # the trailing defaults (stance among them) left out, the cluster implied by the id
])
def test_suggestions_compare_the_fields_a_whole_record_gives(stored):
    fields = {"article_id": "art_1", "text": "Taxes fell", "type": "direct", "cue": "said", "start": 1, "end": 11,
              "confidence": 0.9, "speaker_id": "spk_1", "speaker_name": "Ann Lee", "speaker_mention": "Lee",
              "speaker_kind": "person", "created_at": "2026-03-01T00:00:00.000Z", "version": 1, **stored}
    raw = records.pack_claim("clm_2s", fields)
    whole = records.unpack_claim("clm_2s", raw)
    compared = records.comparable_claim("clm_2s", raw)
    assert compared == {name: whole[name] for name in compared}
    assert set(compared) == {"id", "seq", "text", "speaker_id", "cluster_id", "status", "stance"}
