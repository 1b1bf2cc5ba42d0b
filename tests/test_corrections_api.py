"""Reviewers correct the extractor through the API: speaker, span, stance and type, a claim the
extractor missed; each kept by re-extraction and revisions; clusters follow; an article marked
reviewed; assignments and bulk actions."""
from __future__ import annotations

import threading

import pytest

from helpers import claim_record, headers, seed_article
from races import Gate
from service.store import Keys, cross_slot
from test_webhooks import SECRET, Receiver
from workers.worker import build_worker

TEXT = ('Elena Marsh denied that the bridge was unsafe. "We inspected every bolt," said Tom Reyes, '
        'the city engineer. Critics said the repairs came too late.')
BRIDGE = "the bridge was unsafe"
BOLT = "We inspected every bolt"
LATE = "the repairs came too late"


def extracted() -> list[dict]:
    """What the extractor reads in TEXT, one attribution wrong: the bolt quote given to Marsh."""
    return [claim_record(BRIDGE, TEXT.index(BRIDGE), speaker="Elena Marsh", claim_type="indirect", stance="denies"),
            claim_record(BOLT, TEXT.index(BOLT), speaker="Elena Marsh"),
            claim_record(LATE, TEXT.index(LATE), speaker="Critics", kind="unnamed", claim_type="indirect")]


@pytest.fixture
def article(client, store):
    aid = seed_article(client, store, TEXT, extracted(), title="Bridge row")
    return aid, {c["text"]: c for c in store.claims.of_article(aid).items}


def correct(client, cid, body, who="verify", **extra):
    version = client.get(f"/v1/claims/{cid}", headers=headers("read")).headers["ETag"]
    return client.patch(f"/v1/claims/{cid}/correction", json=body, headers=headers(who, **{"If-Match": version, **extra}))


def reextract(client, store, aid, claims=None, revision=None):
    """Re-extract an article as a worker would, the extractor reading `claims` (default: the
    same as the first time)."""
    response = client.post(f"/v1/articles/{aid}/reextract", headers=headers("admin"))
    assert response.status_code == 202, response.json
    text, rev = store.jobs.start_processing(aid)
    assert store.claims.save(aid, claims if claims is not None else extracted(), revision=revision or rev)


def new_speaker(client, cid, name="Tom Reyes", kind="person", title="city engineer"):
    return correct(client, cid, {"speaker": {"name": name, "kind": kind, "title": title}})


def test_correcting_a_speaker_to_a_new_one_touches_no_other_claim_and_is_in_the_history(client, store, article):
    aid, claims = article
    marsh = claims[BRIDGE]["speaker"]["id"]
    response = new_speaker(client, claims[BOLT]["id"])
    assert response.status_code == 200, response.json
    assert response.json["speaker"]["name"] == "Tom Reyes" and response.json["speaker"]["title"] == "city engineer"
    assert response.json["speaker"]["id"] != marsh
    assert response.json["corrected"] == ["speaker"] and response.json["origin"] == "extractor"
    assert response.headers["ETag"] == f'"{claims[BOLT]["version"] + 1}"'
    assert store.claims.get(claims[BRIDGE]["id"])["speaker"]["id"] == marsh  # Marsh's own claim stays hers
    assert [c["text"] for c in store.claims.list(speaker_id=marsh).items] == [BRIDGE]
    assert [c["text"] for c in store.claims.list(speaker="Tom Reyes").items] == [BOLT]
    entry = client.get(f"/v1/claims/{claims[BOLT]['id']}/history", headers=headers("read")).json["items"][-1]
    assert entry["by"] == "alice" and entry["at"]
    assert entry["corrected"]["speaker"]["from"]["name"] == "Elena Marsh"
    assert entry["corrected"]["speaker"]["to"]["name"] == "Tom Reyes"
    event = client.get("/v1/events?limit=100", headers=headers("read")).json["items"][-1]
    assert event["type"] == "claim.corrected" and event["data"]["claim_id"] == claims[BOLT]["id"]
    assert event["data"]["fields"] == ["speaker"] and event["data"]["by"] == "alice"
    # The registry knows the new speaker; naming it again as new is refused with its id.
    again = new_speaker(client, claims[BRIDGE]["id"])
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert response.json["speaker"]["id"] in again.json["detail"]
    assert again.json["type"] == "/problems/correction-refused"


def test_correcting_a_speaker_to_a_registry_speaker(client, store, article):
    aid, claims = article
    marsh = claims[BRIDGE]["speaker"]
    response = correct(client, claims[LATE]["id"], {"speaker": {"id": marsh["id"]}})
    assert response.status_code == 200
    assert response.json["speaker"]["id"] == marsh["id"] and response.json["speaker"]["name"] == "Elena Marsh"
    assert response.json["speaker"]["kind"] == "person"
    assert {c["text"] for c in store.claims.list(speaker_id=marsh["id"]).items} == {BRIDGE, LATE, BOLT}
    assert store.claims.list(speaker="Critics").items == []
    unknown = correct(client, claims[LATE]["id"], {"speaker": {"id": "spk_0123456789abcdef"}})
    assert unknown.status_code == 409 and "no speaker" in unknown.json["detail"]
    bad = correct(client, claims[LATE]["id"], {"speaker": {"name": "X"}})
    assert bad.status_code == 422


def test_correcting_a_span_takes_the_articles_words_and_refuses_overlaps(client, store, article):
    aid, claims = article
    cid = claims[LATE]["id"]
    start = TEXT.index("repairs")
    response = correct(client, cid, {"span": {"start": start, "end": start + len("repairs came too late")}})
    assert response.status_code == 200
    assert response.json["text"] == "repairs came too late" and response.json["corrected"] == ["span"]
    assert [c["id"] for c in store.claims.list(query=["repairs"]).items] == [cid]
    overlap = correct(client, cid, {"span": {"start": TEXT.index(BOLT) + 3, "end": start + 7}})
    assert overlap.status_code == 409 and overlap.mimetype == "application/problem+json"
    assert claims[BOLT]["id"] in overlap.json["detail"] and "overlaps" in overlap.json["detail"]
    outside = correct(client, cid, {"span": {"start": 10, "end": len(TEXT) + 5}})
    assert outside.status_code == 409 and "inside the article" in outside.json["detail"]
    spaces = correct(client, cid, {"span": {"start": start - 1, "end": start + 7}})
    assert spaces.status_code == 409 and "white space" in spaces.json["detail"]
    assert store.claims.get(cid)["text"] == "repairs came too late"


def test_correcting_stance_and_type_moves_the_claim_between_filters(client, store, article):
    aid, claims = article
    cid = claims[BRIDGE]["id"]
    response = correct(client, cid, {"stance": "asserts", "type": "mixed"})
    assert response.status_code == 200 and response.json["stance"] == "asserts" and response.json["type"] == "mixed"
    assert response.json["corrected"] == ["stance", "type"]
    assert cid in [c["id"] for c in store.claims.list(stance="asserts").items]
    assert cid not in [c["id"] for c in store.claims.list(stance="denies").items]
    assert [c["id"] for c in store.claims.list(claim_type="mixed").items] == [cid]
    same = correct(client, cid, {"stance": "asserts"})
    assert same.status_code == 200 and same.json["version"] == response.json["version"]  # nothing changed


def test_a_correction_needs_the_verify_role_and_a_current_if_match(client, store, article):
    aid, claims = article
    cid = claims[BOLT]["id"]
    assert correct(client, cid, {"stance": "denies"}, who="read").status_code == 403
    stale = client.patch(f"/v1/claims/{cid}/correction", json={"stance": "denies"},
                         headers=headers("verify", **{"If-Match": '"99"'}))
    assert stale.status_code == 412 and stale.headers["ETag"] == f'"{claims[BOLT]["version"]}"'
    assert store.claims.get(cid)["stance"] == "asserts"
    assert client.patch("/v1/claims/clm_zzzz/correction", json={"stance": "denies"},
                        headers=headers("verify")).status_code == 404
    assert client.patch(f"/v1/claims/{cid}/correction", json={}, headers=headers("verify")).status_code == 422


def test_adding_a_missed_claim(client, store, article):
    aid, claims = article
    words = "the city engineer"
    start = TEXT.index(words)
    response = client.post(f"/v1/articles/{aid}/claims", headers=headers("verify"), json={
        "span": {"start": start, "end": start + len(words)}, "speaker": {"name": "Ada Byrne", "kind": "person"},
        "type": "indirect"})
    assert response.status_code == 201, response.json
    added = response.json
    assert added["origin"] == "reviewer" and added["text"] == words and added["speaker"]["name"] == "Ada Byrne"
    assert added["id"] in [c["id"] for c in store.claims.of_article(aid).items]
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["claim_count"] == 4
    assert client.get(f"/v1/claims/{added['id']}/history", headers=headers("read")).json["items"][0]["added"] is True
    overlap = client.post(f"/v1/articles/{aid}/claims", headers=headers("verify"), json={
        "span": {"start": TEXT.index(BOLT), "end": TEXT.index(BOLT) + 5}, "speaker": {"name": "X Y", "kind": "person"}})
    assert overlap.status_code == 409 and claims[BOLT]["id"] in overlap.json["detail"]
    assert client.post(f"/v1/articles/{aid}/claims", headers=headers("read"), json={
        "span": {"start": 0, "end": 5}, "speaker": {"name": "X Y", "kind": "person"}}).status_code == 403
    assert client.post("/v1/articles/art_0123456789abcdef/claims", headers=headers("verify"), json={
        "span": {"start": 0, "end": 5}, "speaker": {"name": "X Y", "kind": "person"}}).status_code == 404


def test_reextracting_the_same_revision_never_overwrites_a_correction(client, store, article):
    aid, claims = article
    assert new_speaker(client, claims[BOLT]["id"]).status_code == 200
    assert correct(client, claims[BRIDGE]["id"], {"stance": "asserts"}).status_code == 200
    start = TEXT.index("repairs")
    assert correct(client, claims[LATE]["id"], {"span": {"start": start, "end": start + 21}}).status_code == 200
    words = "the city engineer"
    added = client.post(f"/v1/articles/{aid}/claims", headers=headers("verify"), json={
        "span": {"start": TEXT.index(words), "end": TEXT.index(words) + len(words)},
        "speaker": {"name": "Ada Byrne", "kind": "person"}}).json
    # The extractor reads the article as before, and now also a claim over the added one's words.
    again = extracted() + [claim_record("engineer", TEXT.index("engineer"), speaker="Tom Reyes")]
    reextract(client, store, aid, again)
    after = {c["id"]: c for c in store.claims.of_article(aid).items}
    assert set(after) == {claims[BRIDGE]["id"], claims[BOLT]["id"], claims[LATE]["id"], added["id"]}
    assert after[claims[BOLT]["id"]]["speaker"]["name"] == "Tom Reyes"
    assert after[claims[BRIDGE]["id"]]["stance"] == "asserts"
    assert after[claims[LATE]["id"]]["text"] == "repairs came too late"
    assert after[added["id"]]["speaker"]["name"] == "Ada Byrne"
    assert client.get(f"/v1/articles/{aid}", headers=headers("read")).json["claim_count"] == 4


def test_a_revision_keeps_a_corrected_claim_while_its_words_are_in_the_text(client, store, article):
    aid, claims = article
    assert new_speaker(client, claims[BOLT]["id"]).status_code == 200
    assert correct(client, claims[LATE]["id"], {"type": "direct"}).status_code == 200
    revised = "A new first sentence. " + TEXT.replace(" Critics said the repairs came too late.", "")
    assert client.put(f"/v1/articles/{aid}", json={"text": revised, "title": "Bridge row"},
                      headers=headers("ingest")).status_code == 202
    _, revision = store.jobs.start_processing(aid)
    # The extractor misses the bolt quote this time; its words are still there.
    store.claims.save(aid, [claim_record(BRIDGE, revised.index(BRIDGE), speaker="Elena Marsh",
                                         claim_type="indirect", stance="denies")], revision=revision)
    bolt = store.claims.get(claims[BOLT]["id"])
    assert bolt["superseded_in_revision"] is None and bolt["revision"] == 2
    assert revised[bolt["span"]["start"]:bolt["span"]["end"]] == BOLT
    assert bolt["speaker"]["name"] == "Tom Reyes"
    late = store.claims.get(claims[LATE]["id"])
    assert late["superseded_in_revision"] == 2  # its words are gone


def test_clusters_follow_the_corrected_speaker_and_a_verdict_stays_with_its_claim(client, store, article):
    aid, claims = article
    other = seed_article(client, store, f'"{BOLT}," Tom Reyes said.', [claim_record(BOLT, 1, speaker="Tom Reyes")])
    reyes = store.claims.of_article(other).items[0]
    third = seed_article(client, store, f'"{BOLT}," Elena Marsh said.', [claim_record(BOLT, 1, speaker="Elena Marsh")])
    marsh_again = store.claims.of_article(third).items[0]
    assert marsh_again["cluster_id"] == claims[BOLT]["cluster_id"]  # same speaker, same words
    client.patch(f"/v1/claims/{marsh_again['id']}/verification", json={"status": "false"}, headers=headers("verify"))
    assert store.claims.get(claims[BOLT]["id"])["verification"]["status"] == "false"
    # A claim with a verdict keeps it and gets a cluster of its own.
    response = correct(client, claims[BOLT]["id"], {"speaker": {"id": reyes["speaker"]["id"]}})
    assert response.status_code == 200
    moved = response.json
    assert moved["verification"]["status"] == "false"
    assert moved["cluster_id"] not in (marsh_again["cluster_id"], reyes["cluster_id"])
    assert [c["id"] for c in store.claims.list(cluster_id=marsh_again["cluster_id"]).items] == [marsh_again["id"]]
    # An unverified claim joins the same claim of its new speaker.
    plain = seed_article(client, store, f'"{BOLT}," the engineer said.',
                         [claim_record(BOLT, 1, speaker="an engineer", kind="unnamed")])
    unnamed = store.claims.of_article(plain).items[0]
    joined = correct(client, unnamed["id"], {"speaker": {"id": reyes["speaker"]["id"]}}).json
    assert joined["cluster_id"] == reyes["cluster_id"]
    assert {c["id"] for c in store.claims.list(cluster_id=reyes["cluster_id"]).items} == {reyes["id"], unnamed["id"]}
    # A verdict on the cluster now reaches both, and not the claim with its own verdict.
    client.patch(f"/v1/claims/{reyes['id']}/verification", json={"status": "true"}, headers=headers("verify"))
    assert store.claims.get(unnamed["id"])["verification"]["status"] == "true"
    assert store.claims.get(claims[BOLT]["id"])["verification"]["status"] == "false"


def test_a_correction_racing_a_reextraction_is_kept(client, store, article, topology, monkeypatch):
    """Both orders, each forced: the save held between its reads and its writes while the
    correction is made, then the correction held while the save is made. On one server the
    second writer commits meanwhile and the held one's WATCH makes it read again; on a cluster
    the held one's locks keep the second out (it gives up, having written nothing, as a client
    would see a 503) until the held one has committed, and it then reads what that wrote."""
    on_cluster = topology == "cluster"
    if on_cluster:
        monkeypatch.setattr(cross_slot, "LOCK_WAIT", 0.2)
    aid, claims = article
    cid = claims[BOLT]["id"]
    client.post(f"/v1/articles/{aid}/reextract", headers=headers("admin"))
    _, revision = store.jobs.start_processing(aid)
    gate = Gate(store, "save_claims")
    saved = []
    worker = threading.Thread(target=lambda: saved.append(store.claims.save(aid, extracted(), revision=revision)))
    worker.start()
    gate.reached.wait(30)
    if on_cluster:
        assert new_speaker(client, cid).status_code == 503  # kept out while the save holds what it read
        assert store.claims.get(cid)["speaker"]["name"] != "Tom Reyes"
    else:
        assert new_speaker(client, cid).status_code == 200  # commits while the save waits
    gate.release.set()
    worker.join(30)
    assert saved == [True]
    if on_cluster:
        assert new_speaker(client, cid).status_code == 200  # on what the save wrote
    else:
        assert gate.calls >= 2, "the save read again after the correction"
    assert store.claims.get(cid)["speaker"]["name"] == "Tom Reyes"
    assert len(store.claims.of_article(aid).items) == 3

    client.post(f"/v1/articles/{aid}/reextract", headers=headers("admin"))
    _, revision = store.jobs.start_processing(aid)
    gate = Gate(store, "correct_claim")
    answers = []
    worker = threading.Thread(target=lambda: answers.append(
        store.corrections.correct(cid, {"type": "mixed"}, by="alice")))
    worker.start()
    gate.reached.wait(30)
    sharper = [dict(c, confidence=0.5) for c in extracted()]
    if on_cluster:
        with pytest.raises(cross_slot.LockTimeout):  # kept out while the correction holds the claim
            store.claims.save(aid, sharper, revision=revision)
    else:
        assert store.claims.save(aid, sharper, revision=revision)  # commits while the correction waits
    gate.release.set()
    worker.join(30)
    assert answers and answers[0][1]
    if on_cluster:
        assert store.claims.save(aid, sharper, revision=revision)  # on what the correction wrote
    else:
        assert gate.calls >= 2, "the correction read again after the save"
    final = store.claims.get(cid)
    assert final["type"] == "mixed" and final["speaker"]["name"] == "Tom Reyes" and final["confidence"] == 0.5


def test_claim_corrected_is_delivered_to_webhooks(config, store):
    from service import create_app

    hook_config = config.replace(webhook_retry_intervals=(0,), webhook_allow_hosts="127.0.0.1", webhook_timeout=2)
    hook_client = create_app(hook_config).test_client()
    with Receiver([200]) as receiver:
        assert hook_client.post("/v1/webhooks", headers=headers("admin"), json={
            "url": receiver.url, "events": ["claim.corrected"], "secret": SECRET}).status_code == 201
        aid = seed_article(hook_client, store, TEXT, extracted())
        cid = store.claims.of_article(aid).items[1]["id"]
        assert correct(hook_client, cid, {"stance": "questions"}).status_code == 200
        assert build_worker(hook_config).work(burst=True, logging_level="WARNING")
        assert len(receiver.received) == 1
        assert b'"claim.corrected"' in receiver.received[0][1] and cid.encode() in receiver.received[0][1]


def test_marking_an_article_reviewed_is_in_its_history_until_a_revision(client, store, article):
    aid, _ = article
    assert client.get(f"/v1/articles/{aid}/review", headers=headers("read")).json["reviewed"] is False
    assert client.put(f"/v1/articles/{aid}/review", json={"reviewed": True},
                      headers=headers("read")).status_code == 403
    marked = client.put(f"/v1/articles/{aid}/review", json={"reviewed": True, "note": "all checked"},
                        headers=headers("verify"))
    assert marked.status_code == 200 and marked.json["reviewed"] is True and marked.json["by"] == "alice"
    assert marked.json["history"][0]["action"] == "reviewed" and marked.json["history"][0]["note"] == "all checked"
    assert store.reviews.reviewed_since() == [aid]
    client.put(f"/v1/articles/{aid}", json={"text": TEXT + " More."}, headers=headers("ingest"))
    assert client.get(f"/v1/articles/{aid}/review", headers=headers("read")).json["reviewed"] is False
    taken_back = client.put(f"/v1/articles/{aid}/review", json={"reviewed": False}, headers=headers("verify2"))
    assert [e["action"] for e in taken_back.json["history"]] == ["reviewed", "unreviewed"]
    assert store.reviews.reviewed_since() == []


def test_assignment_filters_and_bulk_actions(client, store, article):
    aid, claims = article
    ids = [claims[t]["id"] for t in (BRIDGE, BOLT, LATE)]
    me = client.put(f"/v1/claims/{ids[0]}/assignee", json={}, headers=headers("verify"))
    assert me.status_code == 200 and me.json == {"claim_id": ids[0], "assignee": "alice"}
    listed = client.get("/v1/claims?assignee=alice", headers=headers("read")).json["items"]
    assert [c["id"] for c in listed] == [ids[0]]
    free = client.get("/v1/claims?unassigned=true", headers=headers("read")).json["items"]
    assert {c["id"] for c in free} == set(ids[1:])
    bulk = client.post("/v1/bulk/claims", json={"claim_ids": ids[1:] + ["clm_zzzz"], "action": "assign",
                                                "assignee": "bob"}, headers=headers("verify"))
    assert bulk.status_code == 200 and bulk.json == {"done": ids[1:], "missing": ["clm_zzzz"]}
    assert client.get("/v1/claims?unassigned=true", headers=headers("read")).json["items"] == []
    assert [store.claims.get(c)["assignee"] for c in ids] == ["alice", "bob", "bob"]
    assert [c["assignee"] for c in client.get(f"/v1/articles/{aid}/claims", headers=headers("read")).json["items"]] \
        == ["alice", "bob", "bob"]
    assert store.claims.get(ids[0])["version"] == claims[BRIDGE]["version"]  # an assignment is no change
    marked = client.post("/v1/bulk/claims", json={"claim_ids": ids[1:], "action": "not_a_claim"},
                         headers=headers("verify"))
    assert marked.json["done"] == ids[1:]
    assert [c["id"] for c in store.claims.of_article(aid).items] == [ids[0]]
    client.post("/v1/bulk/claims", json={"claim_ids": ids, "action": "unassign"}, headers=headers("verify"))
    assert [store.claims.get(c)["assignee"] for c in ids] == [None, None, None]
    assert client.put(f"/v1/claims/{ids[0]}/assignee", json={"assignee": None},
                      headers=headers("read")).status_code == 403


def test_taking_an_article_down_removes_its_corrections_marks_and_assignments(client, store, article, redis):
    aid, claims = article
    new_speaker(client, claims[BOLT]["id"])
    client.put(f"/v1/articles/{aid}/review", json={"reviewed": True}, headers=headers("verify"))
    client.put(f"/v1/claims/{claims[BOLT]['id']}/assignee", json={}, headers=headers("verify"))
    assert client.delete(f"/v1/articles/{aid}", headers=headers("admin")).status_code in (200, 204)
    assert not redis.exists(Keys.corrections(aid), Keys.article_history(aid), Keys.assigned,
                            Keys.by_assignee("alice"))
    assert redis.zscore(Keys.reviewed, aid) is None
