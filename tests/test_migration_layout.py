"""`flask --app service.app migrate` on a store written in the layout the code before the
repository redesign wrote (schema 3): the redesign kept every key and value shape, so the
migration finds nothing to change. The store below has every kind of record (articles with
revisions, claims with verdicts and histories, a cluster, speakers, a webhook, a managed key),
its word index written inside the save transaction as the old code did, and no
`ct:search:pending`; after the migration every key holds exactly what it held, every id is
unchanged, and the API reads (search included) answer as before."""
from __future__ import annotations

import json

from helpers import claim_record, headers, quote_article
from service.store import Keys
from service.store.migrate import SCHEMA
from service.store.text import words

QUOTE = "We will move 300 jobs to Ohio next year"


def snapshot(redis) -> dict[str, object]:
    """Every key's type and content, events and RQ's keys aside (their ids are times)."""
    found: dict[str, object] = {}
    for key in sorted(redis.scan_iter(match="ct:*")):
        kind = redis.type(key)
        if kind == "string":
            value: object = redis.get(key)
        elif kind == "hash":
            value = redis.hgetall(key)
        elif kind == "list":
            value = redis.lrange(key, 0, -1)
        elif kind == "set":
            value = sorted(redis.smembers(key))
        elif kind == "zset":
            value = redis.zrange(key, 0, -1, withscores=True)
        else:
            value = redis.xlen(key)
        found[key] = (kind, value)
    return found


def old_word_index(redis) -> None:
    """What the old save wrote in its own transaction: each claim in its words' indexes, and no
    pending list (the follow-up step did not exist)."""
    for key in redis.scan_iter(match="ct:claim:clm_*"):
        if key.count(":") != 2:
            continue
        cid = key.rsplit(":", 1)[1]
        text = json.loads(redis.get(key))[1]
        for word in words(text):
            redis.zadd(Keys.by_word(word), {cid: int(cid[4:], 36)})
    redis.delete(Keys.search_pending)


def test_migrating_a_store_in_the_previous_layout_changes_nothing_and_loses_nothing(app, client, store, redis):
    aid, a = quote_article(client, store, QUOTE, "Nadia Brennan", title="Jobs")
    _, b = quote_article(client, store, QUOTE, "Nadia Brennan")  # joins a's cluster
    _, c = quote_article(client, store, "Taxes will fall", "Tom Becker", kind="person")
    assert client.patch(f"/v1/claims/{a['id']}/verification", json={"status": "false", "note": "no such plan"},
                        headers=headers("verify", **{"If-Match": '"1"'})).status_code == 200
    revised = client.put(f"/v1/articles/{aid}", json={"text": f'"{QUOTE}," Nadia Brennan said on Monday.'},
                         headers=headers("ingest"))
    assert revised.status_code == 202
    store.jobs.start_processing(aid)
    assert store.claims.save(aid, [claim_record(QUOTE, 1, speaker="Nadia Brennan")], revision=2)
    assert client.post("/v1/keys", json={"name": "cms", "roles": ["ingest"]}, headers=headers("admin")).status_code == 201
    store.webhooks.add("https://hooks.example.org/ct", ["claim.created"], "whsec_" + "a" * 40)
    old_word_index(redis)
    redis.delete(Keys.schema)  # as data written before any migration ran
    before = snapshot(redis)
    reads = {path: client.get(path, headers=headers("admin")).json for path in (
        f"/v1/claims/{a['id']}", f"/v1/claims/{b['id']}", f"/v1/claims/{c['id']}", f"/v1/articles/{aid}",
        f"/v1/articles/{aid}/revisions", f"/v1/claims/{a['id']}/history", f"/v1/clusters/{a['cluster_id']}",
        f"/v1/speakers/{a['speaker']['id']}", "/v1/claims?q=ohio", "/v1/webhooks", "/v1/keys")}
    assert [x["id"] for x in reads["/v1/claims?q=ohio"]["items"]] == [b["id"], a["id"]]

    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output

    after = snapshot(redis)
    assert after.pop(Keys.schema) == ("string", str(SCHEMA))
    assert after == before, "nothing rewritten, nothing lost"
    for path, body in reads.items():
        assert client.get(path, headers=headers("admin")).json == body, path
