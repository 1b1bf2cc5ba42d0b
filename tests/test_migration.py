"""The upgrade to verdict-safe clusters: clusters formed under the old fuzzy rule are split
where their words differ, verdicts stay where they are, and the split is in the history."""
from __future__ import annotations

import json

from helpers import headers, quote_article
from service.store import Keys
from service.store.migrate import SCHEMA, migrate

QUOTE = "We will move 300 jobs to Ohio next year"


def old_cluster(redis, clsid: str, members: list[dict], first: dict, status: str) -> None:
    """What the old rule stored when it put near-identical claims together."""
    redis.hset(Keys.cluster(clsid), mapping={"id": clsid, "speaker_id": first["speaker"]["id"],
                                             "first_claim": first["id"], "status": status, "note": "",
                                             "evidence": "[]", "updated_by": "alice", "updated_at": ""})
    redis.zadd(Keys.cluster_claims(clsid), {m["id"]: int(m["id"][4:], 36) for m in members})
    for m in members:
        raw = json.loads(redis.get(Keys.claim(m["id"])))
        raw[12] = None if m["id"] == first["id"] else clsid  # cluster_id, as pack_claim stores it
        raw[13] = status
        raw = raw[:20]  # a record from before stance and review_url
        redis.set(Keys.claim(m["id"]), json.dumps(raw))
    redis.delete(Keys.schema)


def test_migration_splits_what_the_old_rule_joined_and_keeps_verdicts(app, client, store, redis):
    _, a = quote_article(client, store, QUOTE, "Nadia Brennan")
    _, b = quote_article(client, store, QUOTE.replace(" to ", " from "), "Nadia Brennan")
    _, c = quote_article(client, store, QUOTE.upper() + "!", "Nadia Brennan")
    _, d = quote_article(client, store, QUOTE.replace(" to ", " from ") + ".", "Nadia Brennan")
    cluster = a["cluster_id"]
    old_cluster(redis, cluster, [a, b, c, d], a, "false")

    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["claims_moved"] == 2
    assert redis.get(Keys.schema) == str(SCHEMA)

    def claim(x):
        return client.get(f"/v1/claims/{x['id']}", headers=headers("read")).json

    assert claim(a)["cluster_id"] == claim(c)["cluster_id"] == cluster
    assert claim(b)["cluster_id"] == claim(d)["cluster_id"] != cluster
    for x in (a, b, c, d):
        assert claim(x)["verification"]["status"] == "false"
        assert claim(x)["stance"] == "asserts"
    history = client.get(f"/v1/claims/{b['id']}/history", headers=headers("read")).json["items"]
    assert history[-1]["split_from"] == cluster and history[-1]["by"] == "migration"
    log = client.get(f"/v1/clusters/{cluster}", headers=headers("read")).json["log"]
    assert sorted(e["claim_id"] for e in log) == sorted([b["id"], d["id"]])
    # The speaker's table is rebuilt: a new "to" claim joins a's cluster, a "from" claim b's.
    _, e = quote_article(client, store, QUOTE, "Nadia Brennan")
    _, f = quote_article(client, store, QUOTE.replace(" to ", " from "), "Nadia Brennan")
    assert e["cluster_id"] == cluster and f["cluster_id"] == claim(b)["cluster_id"]
    # Running it again does nothing.
    assert migrate(store.conn)["claims_moved"] == 0


def test_an_empty_database_is_current(store, redis):
    report = migrate(store.conn)
    assert report["from"] == SCHEMA and redis.get(Keys.schema) == str(SCHEMA)
