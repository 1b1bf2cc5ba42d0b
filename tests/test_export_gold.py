"""`export-gold`: reviewed articles written in the format of ../shared/eval/dev, and scored by
../shared/eval/score.py's own functions against the service's claims (a round trip)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from helpers import claim_record, headers, seed_article

SCORE = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "score.py"

TEXT = ('Mayor Ines Calder denied that the depot would close. "The trains will keep running," said Paul Okoro, '
        'head of the transit union. The council said it would publish the budget in May.\n\n'
        'Residents asked whether fares would rise.')


def scorer():
    if not SCORE.exists():
        pytest.skip(f"{SCORE} is not on this machine (the team's evaluation folder)")
    spec = importlib.util.spec_from_file_location("score", SCORE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def service_claims(client, aid):
    items, cursor = [], None
    while True:
        page = client.get(f"/v1/articles/{aid}/claims" + (f"?cursor={cursor}" if cursor else ""),
                          headers=headers("read")).json
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def correct(client, cid, body):
    etag = client.get(f"/v1/claims/{cid}", headers=headers("read")).headers["ETag"]
    response = client.patch(f"/v1/claims/{cid}/correction", json=body, headers=headers("verify", **{"If-Match": etag}))
    assert response.status_code == 200, response.json
    return response.json


def test_an_article_whose_claims_were_all_corrected_scores_1_against_its_own_claims(app, client, store, tmp_path):
    score = scorer()
    depot, trains = "the depot would close", "The trains will keep running"
    budget, fares = "it would publish the budget", "fares would rise"
    # The extractor's reading: the union quote given to the mayor, a fragment of the council's
    # claim, the question as an assertion, and a claim that is none.
    aid = seed_article(client, store, TEXT, [
        claim_record(depot, TEXT.index(depot), speaker="Ines Calder", claim_type="indirect", stance="denies"),
        claim_record(trains, TEXT.index(trains), speaker="Ines Calder"),
        claim_record("publish the budget", TEXT.index("publish the budget"), speaker="The council",
                     kind="organization", claim_type="indirect"),
        claim_record(fares, TEXT.index(fares), speaker="Residents", kind="unnamed", claim_type="indirect"),
        claim_record("head of the transit union", TEXT.index("head of"), speaker="Paul Okoro")],
        title="Depot stays open")
    before = {c["text"]: c for c in service_claims(client, aid)}
    extracted = list(before.values())
    correct(client, before[depot]["id"], {"type": "indirect", "stance": "denies", "speaker": {
        "id": before[depot]["speaker"]["id"], "title": "Mayor"}})
    correct(client, before[trains]["id"], {"speaker": {"id": before["head of the transit union"]["speaker"]["id"]}})
    correct(client, before["publish the budget"]["id"], {"span": {"start": TEXT.index(budget),
                                                                  "end": TEXT.index(budget) + len(budget)}})
    correct(client, before[fares]["id"], {"stance": "questions"})
    client.patch(f"/v1/claims/{before['head of the transit union']['id']}/verification",
                 json={"status": "not_a_claim"}, headers=headers("verify"))
    missed = "would publish the budget in May"
    assert client.put(f"/v1/articles/{aid}/review", json={"reviewed": True}, headers=headers("verify")).status_code == 200
    other = seed_article(client, store, '"Nothing to see," Ann Lee said.', [claim_record("Nothing to see", 1)])

    result = app.test_cli_runner().invoke(args=["export-gold", str(tmp_path / "gold"), "--reviewed-only"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["names"] == [aid]
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == [f"{aid}.gold.json", f"{aid}.txt"]
    gold = score.load_gold(tmp_path / "gold")[aid]
    assert gold["title"] == "Depot stays open" and gold["text"] == TEXT.strip() + "\n"
    assert [(g["speaker"], g["content"], g["stance"]) for g in gold["claims"]] == [
        ("Ines Calder", depot, "denies"), ("Paul Okoro", trains, "asserts"),
        ("The council", budget, "asserts"), ("Residents", fares, "questions")]
    assert missed not in [g["content"] for g in gold["claims"]]

    now = score.summarize({aid: score.score_article(gold["claims"], service_claims(client, aid))})
    assert now["attributed_f1"] == 1.0 and now["claim_f1"] == 1.0
    # The extractor as it read the article scores below that: the gold holds the corrections.
    first = score.summarize({aid: score.score_article(gold["claims"], extracted)})
    assert first["attributed_f1"] < 1.0

    # Without --reviewed-only, corrected articles come too; --since leaves out older marks.
    everything = app.test_cli_runner().invoke(args=["export-gold", str(tmp_path / "all")])
    assert json.loads(everything.stdout.strip().splitlines()[-1])["names"] == [aid]
    later = app.test_cli_runner().invoke(args=["export-gold", str(tmp_path / "later"), "--since", "2999-01-01"])
    assert json.loads(later.stdout.strip().splitlines()[-1])["articles"] == 0
    assert other not in everything.stdout
