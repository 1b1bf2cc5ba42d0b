"""The change feed: a poller that keeps its cursor sees every change once, in order."""
from __future__ import annotations

import base64

import pytest

from helpers import claim_record, headers, quote_article, seed_article
from service.store import Keys

pytestmark = pytest.mark.both_topologies


def read_all(client, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    events = []
    for _ in range(200):
        page = client.get("/v1/events" + (f"?after={cursor}&" if cursor else "?") + f"limit={limit}",
                          headers=headers("read")).json
        events += page["items"]
        if not page["items"]:
            return events, page["next_cursor"]
        cursor = page["next_cursor"]
    raise AssertionError("the feed never caught up")


def test_a_poller_sees_every_change_exactly_once(client, store):
    _, claim = quote_article(client, store, "The bridge is safe", "Maria Okafor")
    first, cursor = read_all(client, None, limit=2)
    assert [e["type"] for e in first] == ["article.queued", "claim.created", "article.done"]
    assert first[1]["data"]["claim_id"] == claim["id"]
    assert all(e["at"].endswith("Z") and e["id"].startswith("evt_") for e in first)

    client.patch(f"/v1/claims/{claim['id']}/verification", json={"status": "true"}, headers=headers("verify"))
    _, second_claim = quote_article(client, store, "The road is closed", "Tom Becker")
    again, cursor2 = read_all(client, cursor, limit=1)
    assert [e["type"] for e in again] == ["claim.verification_changed", "article.queued", "claim.created",
                                          "article.done"]
    assert again[0]["data"] == {"claim_id": claim["id"], "from": "unverified", "to": "true", "by": "alice"}
    everything, _ = read_all(client, None, limit=1000)
    assert [e["id"] for e in everything] == [e["id"] for e in first + again]
    assert len({e["id"] for e in everything}) == len(everything)
    nothing_new, same = read_all(client, cursor2, limit=10)
    assert nothing_new == [] and same == cursor2


def test_a_failed_article_is_announced(client, store):
    aid = client.post("/v1/articles", json={"text": "x"}, headers=headers("ingest")).json["id"]
    store.jobs.start_processing(aid)
    store.jobs.set_status(aid, "failed", "ValueError: broken")
    events, _ = read_all(client, None, limit=100)
    assert events[-1]["type"] == "article.failed"
    assert events[-1]["data"] == {"article_id": aid, "error": "ValueError: broken"}


def test_bad_and_expired_cursors(client, store, redis):
    quote_article(client, store, "One", "Maria Okafor")
    _, cursor = read_all(client, None, limit=100)
    assert client.get("/v1/events?after=nonsense", headers=headers("read")).status_code == 400
    quote_article(client, store, "Two", "Maria Okafor")
    # What retention does to old events (XADD MINID), done at once: drop all but the last.
    last_id = redis.xrevrange(Keys.events, count=1)[0][0]
    redis.xtrim(Keys.events, minid=last_id, approximate=False)
    expired = client.get(f"/v1/events?after={cursor}", headers=headers("read"))
    assert expired.status_code == 410
    assert expired.json["type"] == "/problems/cursor-expired"
    # The last entry left is the second save's: its claim.created and article.done, one entry.
    assert [e["type"] for e in client.get("/v1/events?limit=5", headers=headers("read")).json["items"]] == \
        ["claim.created", "article.done"]


def test_a_saves_events_are_one_feed_entry_read_in_any_page_size(client, store, redis):
    """An article's save writes its events (one a claim, then article.done) as one entry of the
    feed; a poller reading fewer events than the entry holds gets a cursor inside it, and sees
    each event once, in order, whatever its page size."""
    quotes = [f"Quote number {n} is here" for n in range(5)]
    text = " ".join(f'"{q}," Maria Okafor said.' for q in quotes)
    claims = []
    for quote in quotes:
        start = text.index(quote)
        claims.append(claim_record(quote, start))
    _, start_cursor = read_all(client, None, limit=100)
    seed_article(client, store, text, claims)
    entries = redis.xrange(Keys.events, "-", "+")
    assert sorted(entries[-1][1]) == ["at", "batch"]
    expected = ["article.queued"] + ["claim.created"] * 5 + ["article.done"]
    for limit in (1, 2, 3, 6, 7, 100):
        events, end = read_all(client, start_cursor, limit=limit)
        assert [e["type"] for e in events] == expected, limit
        assert len({e["at"] for e in events[1:]}) == 1, "the save's events share its time"
        assert len({e["id"] for e in events}) == len(events)
        assert sorted(e["data"]["claim_id"] for e in events if e["type"] == "claim.created") == \
            sorted(c["id"] for c in store.claims.list().items)
        assert read_all(client, end, limit=limit) == ([], end)


@pytest.mark.parametrize("position", [
    "99999999999999999999-0",  # past Redis's 64-bit milliseconds
    "18446744073709551616-0",  # 2**64
    "0-18446744073709551616",  # a sequence number past 64 bits
    "18446744073709551615-18446744073709551615",  # the last id there can be: nothing comes after it
])
def test_cursors_past_the_streams_ids_are_a_400(client, store, position):
    """Well-formed cursors this service could never have issued are refused like any other."""
    quote_article(client, store, "One", "Maria Okafor")
    cursor = base64.urlsafe_b64encode(f"c1:{position}".encode()).decode().rstrip("=")
    response = client.get(f"/v1/events?after={cursor}", headers=headers("read"))
    assert response.status_code == 400, response.json
    assert response.mimetype == "application/problem+json"


def test_a_cursor_at_the_largest_millisecond_is_still_a_cursor(client, store):
    quote_article(client, store, "One", "Maria Okafor")
    cursor = base64.urlsafe_b64encode(b"c1:18446744073709551615-0").decode().rstrip("=")
    response = client.get(f"/v1/events?after={cursor}", headers=headers("read"))
    assert response.status_code == 200 and response.json["items"] == []
