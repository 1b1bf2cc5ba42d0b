"""The console's correction pages without a browser: security headers, each correction form
(CSRF token, version), a stale form that saves nothing, a claim added from the article page,
the review mark, assignment filters and bulk actions."""
from __future__ import annotations

import re

from helpers import claim_record, seed_article
from test_console import sign_in, token_of

TEXT = ('Elena Marsh denied that the bridge was unsafe. "We inspected every bolt," said Tom Reyes, '
        'the city engineer. Critics said the repairs came too late.')
BRIDGE, BOLT, LATE = "the bridge was unsafe", "We inspected every bolt", "the repairs came too late"


def seeded(client, store):
    aid = seed_article(client, store, TEXT, [
        claim_record(BRIDGE, TEXT.index(BRIDGE), speaker="Elena Marsh", claim_type="indirect", stance="denies"),
        claim_record(BOLT, TEXT.index(BOLT), speaker="Elena Marsh"),
        claim_record(LATE, TEXT.index(LATE), speaker="Critics", kind="unnamed", claim_type="indirect")],
        title="Bridge row")
    return aid, {c["text"]: c for c in store.claims.of_article(aid).items}


def post_form(client, page_path, action, data):
    page = client.get(page_path)
    return client.post(action, data={"csrf_token": token_of(page.text), **data})


def test_console_pages_send_security_headers_and_hold_no_inline_script(client, store):
    aid, claims = seeded(client, store)
    sign_in(client)
    for path in ("/console/claims", f"/console/claims/{claims[BOLT]['id']}", f"/console/articles/{aid}",
                 "/console/sign-in"):
        page = client.get(path)
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path  # no inline event handlers
        assert 'style="' not in page.text


def test_the_claim_states_what_the_speaker_did_above_the_verdict(client, store):
    _, claims = seeded(client, store)
    sign_in(client)
    page = client.get(f"/console/claims/{claims[BRIDGE]['id']}").text
    sentence = re.search(r'id="claim-sentence"><strong>([^<]+)</strong> ([^<]+)</p>', page)
    assert sentence.groups() == ("Elena Marsh", "denied that the bridge was unsafe")
    assert page.index('id="claim-sentence"') < page.index('id="verdict-title"')
    quote = client.get(f"/console/claims/{claims[BOLT]['id']}").text
    assert "<strong>Elena Marsh</strong> said \u201cWe inspected every bolt\u201d" in quote


def test_each_correction_form_saves_and_a_stale_one_saves_nothing(client, store):
    aid, claims = seeded(client, store)
    sign_in(client)
    cid = claims[BOLT]["id"]
    path = f"/console/claims/{cid}"
    found = client.get(path + "?speaker_q=elena").text
    assert f'value="{claims[BRIDGE]["speaker"]["id"]}"' in found
    saved = post_form(client, path, f"{path}/correct", {"field": "speaker", "version": "1", "name": "Tom Reyes",
                                                        "kind": "person", "title": "city engineer"})
    assert saved.status_code == 302
    assert store.claims.get(cid)["speaker"]["name"] == "Tom Reyes"
    start = TEXT.index("inspected")
    assert post_form(client, path, f"{path}/correct", {"field": "span", "version": "2", "start": str(start),
                                                       "end": str(start + 22)}).status_code == 302
    assert store.claims.get(cid)["text"] == "inspected every bolt,\""[:22]
    assert post_form(client, path, f"{path}/correct", {"field": "stance", "version": "3",
                                                       "stance": "questions"}).status_code == 302
    assert post_form(client, path, f"{path}/correct", {"field": "type", "version": "4",
                                                       "type": "mixed"}).status_code == 302
    claim = store.claims.get(cid)
    assert (claim["stance"], claim["type"], claim["version"]) == ("questions", "mixed", 5)
    page = client.get(path).text
    assert "Correction saved" in page and "Corrected: type direct → mixed" in page
    stale = post_form(client, path, f"{path}/correct", {"field": "stance", "version": "2", "stance": "denies"})
    assert stale.status_code == 409 and "nothing was saved" in stale.text
    assert store.claims.get(cid)["stance"] == "questions"
    overlap = post_form(client, path, f"{path}/correct", {"field": "span", "version": "5",
                                                          "start": str(TEXT.index(BRIDGE)), "end": str(start + 5)})
    assert overlap.status_code == 302
    assert "overlaps claim" in client.get(path).text


def test_a_missed_claim_is_added_from_the_article_page_and_the_article_marked_reviewed(client, store):
    aid, claims = seeded(client, store)
    sign_in(client)
    path = f"/console/articles/{aid}"
    page = client.get(path).text
    assert "[Elena Marsh · <span class=\"stance stance-denies\">✗ denies</span>" in page
    words = "the city engineer"
    added = post_form(client, path, f"{path}/claims", {"start": str(TEXT.index(words)),
                                                       "end": str(TEXT.index(words) + len(words)),
                                                       "name": "Ada Byrne", "kind": "person", "stance": "asserts",
                                                       "type": "indirect"})
    assert added.status_code == 302 and "/console/claims/clm_" in added.location
    new = store.claims.get(added.location.rsplit("/", 1)[1])
    assert new["origin"] == "reviewer" and new["text"] == words
    assert "added by a reviewer" in client.get(path).text
    assert post_form(client, path, f"{path}/review", {"reviewed": "1"}).status_code == 302
    page = client.get(path).text
    assert "Reviewed by <strong>alice</strong>" in page and "marked reviewed" in page
    assert store.reviews.get(aid).as_dict()["reviewed"] is True


def test_queue_assignment_filters_and_bulk_actions(client, store):
    aid, claims = seeded(client, store)
    sign_in(client)
    ids = [claims[t]["id"] for t in (BRIDGE, BOLT, LATE)]
    assert post_form(client, "/console/claims", "/console/claims/bulk", {"assign_one": ids[0]}).status_code == 302
    mine = client.get("/console/claims?assigned=mine").text
    assert BRIDGE in mine and BOLT not in mine and "<td class=\"assignee\">alice</td>" in mine
    free = client.get("/console/claims?assigned=unassigned").text
    assert BRIDGE not in free and BOLT in free and LATE in free
    page = client.get("/console/claims")
    client.post("/console/claims/bulk", data={"csrf_token": token_of(page.text), "action": "not_a_claim",
                                              "claim_ids": ids[1:], "back": "/console/claims"})
    assert [store.claims.get(c)["verification"]["status"] for c in ids] == ["unverified", "not_a_claim", "not_a_claim"]
    queue = client.get("/console/claims").text
    assert f'href="/console/speakers/{claims[BRIDGE]["speaker"]["id"]}"' in queue
    assert re.search(r'<time datetime="[^"]+" title="[0-9-]+ [0-9:]+ UTC">', queue)
