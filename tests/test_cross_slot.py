"""Transactions across hash slots on the session's Redis Cluster (service/store/cross_slot.py).

A verdict copied across a cluster of two claims writes both claims, their histories, the status
index, the cluster's hash and the change feed: keys in several slots. Held between its reads and
its writes, such a transaction keeps every other writer of what it read waiting; cut short
after its first slot's writes (its process "dies"), it is finished, every write once, by the
next writer of one of its keys or by the maintenance pass. No test here waits on the clock: a
transaction is held by a gate, and an intent is made stale by moving its time back.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from helpers import headers, quote_article
from service.store import Keys, cross_slot, records, sharded
from service.store.values import seq_of_claim

QUOTE = "We will build four new bridges over the river before the winter"


@pytest.fixture(scope="session")
def topology() -> str:
    return "cluster"


class Died(BaseException):
    """What a process killed half way through a commit leaves: nothing runs after it."""


@pytest.fixture
def pair(client, store):
    """Two claims of one speaker with the same words: one cluster, in different slots."""
    _, first = quote_article(client, store, QUOTE, "Maria Okafor")
    _, second = quote_article(client, store, QUOTE, "Maria Okafor")
    assert first["cluster_id"] == second["cluster_id"]
    return first["id"], second["id"]


def die_after_first_group(monkeypatch) -> None:
    """The commit's process dies once its first slot's writes are applied."""
    apply = cross_slot.apply_groups

    def apply_then_die(client, txid, groups):
        if txid is None:
            return apply(client, txid, groups)
        apply(client, txid, groups[:1])
        raise Died()
    monkeypatch.setattr(cross_slot, "apply_groups", apply_then_die)


def age_intents(redis, seconds: float) -> list[str]:
    """Make every pending intent `seconds` older (instead of sleeping that long)."""
    pending = redis.zrange(Keys.intents, 0, -1, withscores=True)
    for txid, score in pending:
        redis.zadd(Keys.intents, {txid: score - seconds * 1000})
    return [txid for txid, _ in pending]


def history(redis, cid: str) -> list[str]:
    return [json.loads(e)["to"] for e in redis.lrange(Keys.history(cid), 0, -1)]


def verdict_events(redis) -> list[tuple[str, str]]:
    found = []
    for _, fields in redis.xrange(Keys.events):
        for event in records.events(fields):
            if event["type"] == "claim.verification_changed":
                found.append((event["data"]["claim_id"], event["data"]["to"]))
    return sorted(found)


def test_the_pair_spans_slots(redis, pair):
    first, second = pair
    slots = {redis.keyslot(k) for k in (Keys.claim(first), Keys.claim(second), Keys.history(first), Keys.events)}
    assert len(slots) > 1


def test_a_transaction_between_its_reads_and_its_writes_keeps_other_writers_out(app, client, store, redis, pair,
                                                                              monkeypatch):
    first, second = pair
    reached, go = threading.Event(), threading.Event()

    def hold(name: str) -> None:
        if name == "update_verification" and not reached.is_set():
            reached.set()
            assert go.wait(30)
    store.conn.before_exec = hold
    answers: list[int] = []
    held = threading.Thread(target=lambda: answers.append(app.test_client().patch(
        f"/v1/claims/{first}/verification", json={"status": "false"},
        headers=headers("verify", **{"If-Match": '"1"'})).status_code))
    held.start()
    try:
        assert reached.wait(30)
        assert redis.get(Keys.lock(Keys.claim(first))), "the held transaction locks what it read"
        # Another writer of the same claim can neither read nor write it meanwhile.
        monkeypatch.setattr(cross_slot, "LOCK_WAIT", 0.2)
        blocked = client.patch(f"/v1/claims/{first}/verification", json={"status": "true"},
                               headers=headers("verify", **{"If-Match": '"1"'}))
        assert blocked.status_code == 503
        assert history(redis, first) == []
    finally:
        go.set()
        held.join()
    assert answers == [200]
    # The second writer now reads what the first wrote: version 1 is gone.
    stale = client.patch(f"/v1/claims/{first}/verification", json={"status": "true"},
                         headers=headers("verify", **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert history(redis, first) == ["false"] and history(redis, second) == ["false"]
    assert not redis.keys("ct:lock:*") and not redis.zcard(Keys.intents)


def test_a_commit_cut_short_is_finished_once_by_the_next_writer(store, redis, pair, monkeypatch):
    first, second = pair
    die_after_first_group(monkeypatch)
    with pytest.raises(Died):
        store.verdicts.update(first, {"status": "false"}, by="alice")
    monkeypatch.undo()
    assert redis.zcard(Keys.intents) == 1, "the intent outlives its process"
    assert redis.get(Keys.lock(Keys.claim(first))) and redis.ttl(Keys.lock(Keys.claim(first))) == -1
    assert (history(redis, first), history(redis, second)).count([]) >= 1, "only the first slot's writes happened"

    age_intents(redis, cross_slot.STALE_INTENT + 1)
    fields, changed = store.verdicts.update(first, {"status": "true"}, by="bob")
    assert changed
    assert history(redis, first) == ["false", "true"]
    assert history(redis, second) == ["false", "true"]
    assert verdict_events(redis) == sorted([(first, "false"), (second, "false"), (first, "true"), (second, "true")])
    assert redis.zcard(Keys.intents) == 0 and not redis.keys("ct:lock:*")
    assert not redis.keys("ct:ticket:*"), "every group's ticket was taken by the one application"
    assert store.claims.get(second)["verification"]["status"] == "true"


def test_the_maintenance_pass_finishes_an_intent_left_behind(store, redis, pair, monkeypatch):
    first, second = pair
    die_after_first_group(monkeypatch)
    with pytest.raises(Died):
        store.verdicts.update(first, {"status": "mostly_false"}, by="alice")
    monkeypatch.undo()
    left_tickets = redis.keys("ct:ticket:*")
    assert left_tickets, "the groups not applied yet keep their tickets"
    assert {redis.ttl(k) for k in left_tickets} == {-1}, "made permanent once the intent was written"
    assert store.conn.finish_intents() == [], "a fresh intent may still be on its way"
    left = age_intents(redis, cross_slot.STALE_INTENT + 1)
    assert store.conn.finish_intents() == left
    assert store.conn.finish_intents() == []
    assert history(redis, first) == ["mostly_false"] and history(redis, second) == ["mostly_false"]
    assert verdict_events(redis) == sorted([(first, "mostly_false"), (second, "mostly_false")])
    assert not redis.keys("ct:lock:*") and not redis.keys("ct:ticket:*")
    assert sharded.score(redis, Keys.by_status("mostly_false"), first, seq_of_claim(first)) is not None
    assert sharded.score(redis, Keys.by_status("mostly_false"), second, seq_of_claim(second)) is not None


def test_a_lock_without_an_intent_ends_with_its_lease(store, redis, pair):
    """A transaction that died while reading wrote nothing; its locks go with their lease."""
    first, _ = pair
    redis.set(Keys.lock(Keys.claim(first)), "deadbeefdeadbeef", px=300)
    deadline = time.monotonic() + 30
    while redis.exists(Keys.lock(Keys.claim(first))) and time.monotonic() < deadline:
        time.sleep(0.05)
    fields, changed = store.verdicts.update(first, {"status": "false"}, by="alice")
    assert changed and history(redis, first) == ["false"]


def test_a_group_is_applied_once_however_many_processes_apply_it(store, redis):
    """Two processes finishing one intent (its own, and one that took it for a dead one's) apply
    each group once: the first application takes the group's ticket, the second finds none."""
    keys = [f"ct:test:{n}" for n in range(6)]
    groups = cross_slot.group(redis, [("rpush", [key, "entry"], {}) for key in keys])
    assert len(groups) > 1
    cross_slot.issue_tickets(redis, "feedfacefeedface", groups)
    cross_slot.apply_groups(redis, "feedfacefeedface", groups)
    cross_slot.apply_groups(redis, "feedfacefeedface", groups[::-1])
    assert [redis.lrange(key, 0, -1) for key in keys] == [["entry"]] * len(keys)
    assert not redis.keys("ct:ticket:*")
