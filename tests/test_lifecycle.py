"""Articles change (issue 12): listing, corrections with claims mapped onto the earlier
revision's, stale jobs refused, re-extraction, and takedown, with real Redis and real RQ
workers running the real extractor."""
from __future__ import annotations

import pytest

from helpers import claim_record, headers
from service.store import Keys
from service.store.layout import shard_keys, unsharded
from workers import model
from workers.extraction.version import RULES_VERSION
from workers.worker import build_worker

pytestmark = pytest.mark.both_topologies

FIRST = (
    "Finance Minister Karl Berg said that the new bridge would cost £18m.\n\n"
    '"We will open it in the spring," Berg told reporters.\n\n'
    "Opposition leader Ada Lind said the budget was a fantasy.\n"
)
CORRECTED = (
    "Finance Minister Karl Berg said that the new bridge would cost £8m.\n\n"
    '"We will open it in the spring," Berg told reporters.\n'
)


@pytest.fixture(scope="module", autouse=True)
def preloaded_model():
    return model.preload(None)


def work(config) -> None:
    assert build_worker(config).work(burst=True, logging_level="WARNING")


def get(client, path: str) -> dict:
    response = client.get(path, headers=headers("read"))
    assert response.status_code == 200, response.json
    return response.json


def claims(client, aid: str, include: str = "") -> dict[str, dict]:
    items = get(client, f"/v1/articles/{aid}/claims?limit=200" + (f"&include={include}" if include else ""))["items"]
    return {c["text"]: c for c in items}


def post(client, text: str, **fields):
    return client.post("/v1/articles", json={"text": text, **fields}, headers=headers("ingest"))


# -- listing ----------------------------------------------------------------------------------

def test_articles_are_listed_newest_first_with_filters(client, store):
    ids = []
    for i, (source, url) in enumerate([("Daily", "https://a.example/1"), ("Weekly", "https://a.example/2"),
                                       ("Daily", "https://a.example/3")]):
        response = post(client, f"Karl Berg said that the toll would rise by {i} percent.", source=source, url=url,
                        external_id=f"ext-{i}")
        assert response.status_code == 202
        ids.append(response.json["id"])
    store.jobs.start_processing(ids[0])
    store.claims.save(ids[0], [])

    def listed(query: str = "", limit: int = 2) -> list[str]:
        found, cursor = [], None
        for _ in range(10):
            page = get(client, f"/v1/articles?limit={limit}&{query}" + (f"&cursor={cursor}" if cursor else ""))
            assert all("text" not in a for a in page["items"])
            found += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return found
        raise AssertionError("the cursor never ended")

    assert listed() == ids[::-1]
    assert listed("source=Daily") == [ids[2], ids[0]]
    assert listed("status=done") == [ids[0]]
    assert listed("status=queued&source=Daily") == [ids[2]]
    assert listed("url=https://a.example/2") == [ids[1]]
    assert listed("external_id=ext-2") == [ids[2]]
    assert listed("external_id=ext-2&source=Weekly") == []
    created = get(client, f"/v1/articles/{ids[1]}")["created_at"]
    assert listed(f"until={created}") == [ids[1], ids[0]]
    assert listed(f"since={created}&status=queued") == [ids[2], ids[1]]
    assert client.get("/v1/articles?status=gone", headers=headers("read")).status_code == 422


def test_articles_created_in_one_millisecond_are_all_listed(client, store, redis):
    for i in range(30):
        store.articles.create({"text": f"t{i}"}, [], lambda p, a: None)
    seen, cursor = [], None
    while True:
        page = get(client, "/v1/articles?limit=7" + (f"&cursor={cursor}" if cursor else ""))
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 30


# -- corrections ------------------------------------------------------------------------------

def test_a_correction_keeps_verdicts_supersedes_what_went_and_finds_what_is_new(client, config):
    first = post(client, FIRST, external_id="story-1")
    aid = first.json["id"]
    work(config)
    before = claims(client, aid)
    quote = before["We will open it in the spring"]
    cost = next(c for t, c in before.items() if "£18m" in t)
    lind = next(c for t, c in before.items() if "fantasy" in t)
    client.patch(f"/v1/claims/{quote['id']}/verification", json={"status": "true", "note": "on schedule"},
                 headers=headers("verify"))
    client.patch(f"/v1/claims/{cost['id']}/verification", json={"status": "false"}, headers=headers("verify"))
    # The same external_id with a corrected text is a correction, not a new article.
    again = post(client, CORRECTED, external_id="story-1")
    assert again.status_code == 202 and again.json["id"] == aid
    assert again.json["revision"] == 2 and again.json["status"] == "queued"
    work(config)
    after = claims(client, aid)
    kept = after["We will open it in the spring"]
    assert kept["id"] == quote["id"] and kept["verification"]["status"] == "true"
    assert kept["revision"] == 2 and kept["cluster_id"] == quote["cluster_id"]
    assert len(get(client, f"/v1/claims/{quote['id']}/history")["items"]) == 1
    new = next(c for t, c in after.items() if "£8m" in t)
    assert new["id"] != cost["id"] and new["verification"]["status"] == "unverified"
    assert lind["text"] not in after and cost["text"] not in after
    gone = get(client, f"/v1/claims/{cost['id']}")
    assert gone["superseded_in_revision"] == 2 and gone["verification"]["status"] == "false"
    assert cost["text"] in claims(client, aid, "superseded")
    assert cost["id"] not in [c["id"] for c in get(client, "/v1/claims?limit=200")["items"]]
    assert cost["id"] in [c["id"] for c in get(client, "/v1/claims?limit=200&include=superseded")["items"]]
    article = get(client, f"/v1/articles/{aid}")
    assert article["claim_count"] == len(after) and article["extractor_version"]
    revisions = get(client, f"/v1/articles/{aid}/revisions")["items"]
    assert [(r["revision"], r["by"], r["text_kept"]) for r in revisions] == [(1, "newsroom", True),
                                                                           (2, "newsroom", True)]
    assert revisions[1]["claims"] == {"kept": 1, "revived": 0, "new": 1, "superseded": 2}
    types = [e["type"] for e in get(client, "/v1/events?limit=1000")["items"]]
    assert "article.revised" in types and types.count("claim.superseded") == 2
    # The superseded claim's ClaimReview still answers, marked.
    client.patch(f"/v1/claims/{cost['id']}/verification", json={"review_url": "https://fc.example/bridge"},
                 headers=headers("verify"))
    review = client.get(f"/v1/claims/{cost['id']}/claimreview", headers=headers("read"))
    assert review.status_code == 200 and review.headers["Claimtrack-Superseded-In-Revision"] == "2"
    # The same text again changes nothing.
    assert post(client, CORRECTED, external_id="story-1").status_code == 200


def test_put_corrects_and_a_stale_job_never_overwrites_a_newer_revision(client, store):
    aid = post(client, FIRST).json["id"]
    # Revision 1's job reads its text ...
    text, revision = store.jobs.start_processing(aid)
    assert revision == 1 and text == FIRST
    # ... a correction arrives and its job finishes first ...
    response = client.put(f"/v1/articles/{aid}", json={"text": CORRECTED}, headers=headers("ingest"))
    assert response.status_code == 202 and response.json["revision"] == 2
    assert store.jobs.start_processing(aid) == (CORRECTED, 2)
    quote = "We will open it in the spring"
    assert store.claims.save(aid, [claim_record(quote, CORRECTED.index(quote), speaker="Karl Berg")], revision=2)
    # ... then revision 1's job tries to store what it found: refused, in the same transaction.
    stale = "the budget was a fantasy"
    assert not store.claims.save(aid, [claim_record(stale, FIRST.index(stale), speaker="Ada Lind")], revision=1)
    assert set(claims(client, aid)) == {quote}
    # Metadata alone is updated in place.
    same = client.put(f"/v1/articles/{aid}", json={"text": CORRECTED, "title": "Bridge"}, headers=headers("ingest"))
    assert same.status_code == 200 and same.json["revision"] == 2 and same.json["title"] == "Bridge"
    assert client.put("/v1/articles/art_0000000000000000", json={"text": "x"},
                      headers=headers("ingest")).status_code == 404
    # An external_id that names another article is refused, not taken over.
    other = post(client, "Another story.", external_id="other-story").json["id"]
    taken = client.put(f"/v1/articles/{aid}", json={"text": CORRECTED, "external_id": "other-story"},
                       headers=headers("ingest"))
    assert taken.status_code == 409
    assert get(client, "/v1/articles?external_id=other-story")["items"][0]["id"] == other


def test_two_quick_corrections_end_with_the_newest_text(client, config):
    aid = post(client, FIRST).json["id"]
    client.put(f"/v1/articles/{aid}", json={"text": FIRST.replace("£18m", "£9m")}, headers=headers("ingest"))
    client.put(f"/v1/articles/{aid}", json={"text": CORRECTED}, headers=headers("ingest"))
    work(config)
    article = get(client, f"/v1/articles/{aid}")
    assert article["status"] == "done" and article["revision"] == 3
    texts = set(claims(client, aid))
    assert any("£8m" in t for t in texts) and not any("£9m" in t or "£18m" in t for t in texts)


def test_reextraction_after_an_extractor_change_keeps_verdicts(client, config, store, redis):
    aid = post(client, FIRST).json["id"]
    work(config)
    quote = claims(client, aid)["We will open it in the spring"]
    client.patch(f"/v1/claims/{quote['id']}/verification", json={"status": "mostly_true"}, headers=headers("verify"))
    # An older extractor had found one claim fewer and recorded an older version.
    redis.hset(Keys.article(aid), "extractor_version", "claimtrack 0.0.1; en_core_web_sm 3.7.0; rules 1")
    response = client.post(f"/v1/articles/{aid}/reextract", headers=headers("admin"))
    assert response.status_code == 202
    assert client.post(f"/v1/articles/{aid}/reextract", headers=headers("admin")).status_code == 409
    work(config)
    again = claims(client, aid)["We will open it in the spring"]
    assert again["id"] == quote["id"] and again["verification"]["status"] == "mostly_true"
    assert get(client, f"/v1/articles/{aid}")["extractor_version"].endswith(f"rules {RULES_VERSION}")
    assert client.post(f"/v1/articles/{aid}/reextract", headers=headers("verify")).status_code == 403


# -- takedown ---------------------------------------------------------------------------------

def _footprint(redis) -> tuple[set[str], int]:
    keys = set(redis.keys("ct:*")) - {Keys.events, Keys.seq_times, Keys.claim_seq, Keys.article_seq, Keys.schema}
    return keys, sum(redis.memory_usage(k) or 0 for k in keys)


def test_takedown_leaves_nothing_but_the_tombstone(client, config, store, redis):
    other = post(client, "Opposition leader Ada Lind said the budget was a fantasy.\n").json["id"]
    work(config)
    keys_before, _ = _footprint(redis)
    lind_before = get(client, "/v1/claims?speaker=Ada%20Lind")["items"]
    marker = "Zanzibarian"
    text = FIRST.replace("new bridge", f"new {marker} bridge")
    aid = post(client, text, external_id="story-9", url="https://news.example/9", source="Daily").json["id"]
    work(config)
    client.put(f"/v1/articles/{aid}", json={"text": text + "Berg said that tolls would fall.\n",
                                            "external_id": "story-9"}, headers=headers("ingest"))
    work(config)
    taken = claims(client, aid, "superseded")
    some = next(iter(taken.values()))
    client.patch(f"/v1/claims/{some['id']}/verification", json={"status": "false"}, headers=headers("verify"))
    page = get(client, "/v1/claims?limit=1")
    response = client.delete(f"/v1/articles/{aid}", headers=headers("admin"))
    assert response.status_code == 200 and response.json["deleted_by"] == "ops"
    keys_after, _ = _footprint(redis)
    assert keys_after - keys_before == {Keys.article(aid), Keys.deleted_claims}
    assert redis.hgetall(Keys.article(aid)).keys() == {"id", "deleted_at", "deleted_by", "claim_count"}
    for key in redis.keys("ct:*"):
        if redis.type(key) == "string":
            assert marker not in (redis.get(key) or ""), key
        elif redis.type(key) == "hash":
            assert marker not in str(redis.hgetall(key)), key
    for path in (f"/v1/articles/{aid}", f"/v1/articles/{aid}/claims", f"/v1/claims/{some['id']}",
                 f"/v1/claims/{some['id']}/claimreview", f"/v1/articles/{aid}/revisions"):
        gone = client.get(path, headers=headers("read"))
        assert gone.status_code == 410, path
        assert gone.json["deleted_by"] == "ops" and gone.json["type"] == "/problems/deleted"
    assert client.delete(f"/v1/articles/{aid}", headers=headers("admin")).status_code == 410
    # A cursor of a list that held its claims still pages, without them.
    rest = get(client, f"/v1/claims?limit=200&cursor={page['next_cursor']}")["items"]
    assert all(c["article_id"] != aid for c in rest)
    assert get(client, "/v1/claims?speaker=Ada%20Lind")["items"] == lind_before
    assert other in [a["id"] for a in get(client, "/v1/articles")["items"]]
    assert aid not in [a["id"] for a in get(client, "/v1/articles")["items"]]
    deleted = [e for e in get(client, "/v1/events?limit=1000")["items"] if e["type"] == "article.deleted"]
    assert deleted[0]["data"] == {"article_id": aid, "by": "ops", "claims_deleted": len(taken)}
    # The same external_id afterwards is a new article.
    again = post(client, text, external_id="story-9")
    assert again.status_code == 202 and again.json["id"] != aid


def test_bulk_reextraction_queues_older_articles_resumably(app, client, store, redis):
    ids = [post(client, f"Karl Berg said that the toll would rise by {i} percent.").json["id"] for i in range(5)]
    for i, aid in enumerate(ids):
        store.jobs.start_processing(aid)
        store.claims.save(aid, [], extractor_version=f"claimtrack 0.1.0; en_core_web_sm 3.8.0; rules {1 if i % 2 else 2}")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reextract", "--older-than", "2", "--limit", "1", "--rate", "1000"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().splitlines()[-1] == '{"examined": 2, "queued": 1}'
    rest = runner.invoke(args=["reextract", "--older-than", "2", "--rate", "1000"])
    assert rest.output.strip().splitlines()[-1] == '{"examined": 3, "queued": 1}'
    statuses = [get(client, f"/v1/articles/{aid}")["status"] for aid in ids]
    assert statuses == ["done", "queued", "done", "queued", "done"]


def test_migration_gives_older_articles_their_listing(app, client, store, redis):
    aid = post(client, "Karl Berg said that the toll would rise.", source="Daily").json["id"]
    # What an article of schema 2 looked like.
    redis.hdel(Keys.article(aid), "score", "revision", "dedup", "updated_at")
    redis.delete(*shard_keys(Keys.articles), *shard_keys(Keys.articles_by_status("queued")),
                 Keys.articles_by_source("Daily"), Keys.revisions(aid), Keys.pending)
    redis.zadd(unsharded(Keys.articles), {aid: 1764633600000})
    redis.set(Keys.schema, 2)
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert [a["id"] for a in get(client, "/v1/articles?status=queued&source=Daily")["items"]] == [aid]
    assert [r["revision"] for r in get(client, f"/v1/articles/{aid}/revisions")["items"]] == [1]
    assert get(client, f"/v1/articles/{aid}")["revision"] == 1
    assert redis.zscore(Keys.pending, aid) is not None


def test_an_article_without_claims_is_taken_down_too(client, store):
    aid = post(client, "Nothing anyone said.").json["id"]
    store.jobs.start_processing(aid)
    store.claims.save(aid, [])
    response = client.delete(f"/v1/articles/{aid}", headers=headers("admin"))
    assert response.status_code == 200 and response.json["claim_count"] == 0
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).status_code == 410
