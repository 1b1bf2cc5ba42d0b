"""The review console without a browser: CSRF refusals, session cookies and their keys in
Redis, roles, sign-in rate limiting, and how an article's text is highlighted."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape

from helpers import KEY, claim_record, headers, quote_article, seed_article
from service import create_app
from service.console.queue_rows import _text
from service.console.text import highlighted, paragraphs
from service.store import Keys, digest

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|type="hidden" name="csrf_token" value="([^"]+)"')


def token_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


def sign_in(client, who: str = "verify", base: str = ""):
    page = client.get(base + "/console/sign-in")
    # Over HTTPS Flask-WTF also wants a same-origin Referer.
    return client.post(base + "/console/sign-in", data={"api_key": KEY[who], "csrf_token": token_of(page.text)},
                       headers={"Referer": base + "/console/sign-in"} if base else {})


def test_pages_need_a_session(client):
    response = client.get("/console/claims?status=false")
    assert response.status_code == 302
    assert response.location.startswith("/console/sign-in?next=")


def test_sign_in_gives_a_new_httponly_samesite_session_kept_in_redis_by_digest(client, redis):
    before = client.get("/console/sign-in").headers["Set-Cookie"]
    response = sign_in(client)
    assert response.status_code == 302 and response.location == "/console/claims"
    cookie = response.headers["Set-Cookie"]
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/console", "Max-Age=43200"):
        assert flag in cookie
    assert "Secure" not in cookie  # served over plain HTTP here
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert session_id not in before  # a fresh id at sign-in: no session fixation
    stored = redis.get(Keys.console_session(digest(session_id)))
    assert stored and '"user": "alice"' in stored
    assert 0 < redis.ttl(Keys.console_session(digest(session_id))) <= 43200
    assert KEY["verify"] not in stored
    assert not [k for k in redis.keys("*") if session_id in k or KEY["verify"] in k]
    page = client.get("/console/claims")
    assert page.status_code == 200 and KEY["verify"] not in page.text


def test_the_cookie_is_secure_over_https(client):
    response = sign_in(client, base="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client, store):
    _, claim = quote_article(client, store, "Prices fell by half", "Maria Okafor")
    assert client.post("/console/sign-in", data={"api_key": KEY["verify"]}).status_code == 400
    assert sign_in(client).status_code == 302
    form = {"status": "false", "note": "", "evidence": "", "review_url": "", "version": str(claim["version"])}
    refused = client.post(f"/console/claims/{claim['id']}/verdict", data=form)
    assert refused.status_code == 400 and "security token" in refused.text
    wrong = client.post(f"/console/claims/{claim['id']}/verdict", data={**form, "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert store.claims.get(claim["id"])["verification"]["status"] == "unverified"
    page = client.get(f"/console/claims/{claim['id']}")
    accepted = client.post(f"/console/claims/{claim['id']}/verdict", data={**form, "csrf_token": token_of(page.text)})
    assert accepted.status_code == 302
    assert store.claims.get(claim["id"])["verification"]["status"] == "false"


def test_a_bad_verdict_form_is_shown_again_with_its_errors(client, store):
    _, claim = quote_article(client, store, "Prices fell by half", "Maria Okafor")
    sign_in(client)
    page = client.get(f"/console/claims/{claim['id']}")
    response = client.post(f"/console/claims/{claim['id']}/verdict", data={
        "csrf_token": token_of(page.text), "status": "false", "evidence": "ftp://files.example/x\n",
        "review_url": "not a url", "version": "1"})
    assert response.status_code == 422
    assert "Not an http(s) URL" in response.text and "published fact-check" in response.text
    assert store.claims.get(claim["id"])["verification"]["status"] == "unverified"


def test_a_read_only_user_sees_no_forms_and_cannot_post(client, store):
    aid, claim = quote_article(client, store, "Prices fell by half", "Maria Okafor")
    sign_in(client, "read")
    for path in (f"/console/claims/{claim['id']}", "/console/claims", f"/console/articles/{aid}",
                 f"/console/speakers/{claim['speaker']['id']}"):
        page = client.get(path)
        assert page.status_code == 200
        posts = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text)
        assert posts == ["/console/sign-out"], path
    token = token_of(client.get("/console/claims").text)
    refused = client.post(f"/console/claims/{claim['id']}/verdict", data={
        "csrf_token": token, "status": "false", "version": "1"})
    assert refused.status_code == 403
    assert store.claims.get(claim["id"])["verification"]["status"] == "unverified"


def test_keys_without_read_role_or_unknown_are_refused(client):
    assert sign_in(client, "ingest").status_code == 401
    page = client.get("/console/sign-in")
    wrong = client.post("/console/sign-in", data={"api_key": "nope", "csrf_token": token_of(page.text)})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    assert client.get("/console/claims").status_code == 302


def test_a_revoked_key_ends_its_sessions(client, store):
    created = client.post("/v1/keys", json={"name": "carol", "roles": ["read", "verify"]}, headers=headers("admin"))
    assert created.status_code == 201, created.json
    page = client.get("/console/sign-in")
    client.post("/console/sign-in", data={"api_key": created.json["secret"], "csrf_token": token_of(page.text)})
    assert client.get("/console/claims").status_code == 200
    assert client.delete(f"/v1/keys/{created.json['id']}", headers=headers("admin")).status_code == 204
    assert client.get("/console/claims").status_code == 302


def test_failed_sign_ins_are_limited_per_address_with_failed_api_keys(config):
    app = create_app(config.replace(auth_failure_limit="3 per minute"))
    client = app.test_client()
    assert client.get("/v1/claims", headers={"X-API-Key": "guess-0"}).status_code == 401
    token = token_of(client.get("/console/sign-in").text)
    codes = [client.post("/console/sign-in", data={"api_key": f"guess-{i}", "csrf_token": token}).status_code
             for i in (1, 2, 3)]
    assert codes == [401, 401, 429]  # the failed API key counted too
    limited = client.post("/console/sign-in", data={"api_key": KEY["verify"], "csrf_token": token})
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 61
    assert "Too many failed sign-ins" in limited.text
    other = app.test_client()
    page = other.get("/console/sign-in", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.post("/console/sign-in", data={"api_key": KEY["verify"], "csrf_token": token_of(page.text)},
                      environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 302


def test_the_api_neither_reads_sessions_nor_checks_csrf(client):
    response = client.post("/v1/articles", json={"text": '"Yes," she said.'}, headers=headers("ingest"))
    assert response.status_code == 202
    assert "Set-Cookie" not in response.headers


def test_queue_filters_and_bad_values(client, store):
    quote_article(client, store, "Prices fell by half last year", "Maria Okafor")
    quote_article(client, store, "Rents rose again in the spring", "Tom Becker")
    sign_in(client)
    page = client.get("/console/claims?speaker=Tom+Becker")
    assert "Rents rose again" in page.text and "Prices fell" not in page.text
    assert client.get("/console/claims?q=prices").text.count("claim-row") == 1
    assert client.get("/console/claims?min_confidence=0.95").text.count("claim-row") == 0
    assert client.get("/console/claims?status=bogus").status_code == 400
    assert client.get("/console/claims?cursor=bogus").status_code == 400
    assert client.get("/console/claims/clm_zzzz").status_code == 404


def test_queue_rows_escape_what_records_hold(client, store):
    """The queue's rows are built in Python (console/queue_rows.py): every value from a record
    is escaped there, as the templates' autoescaping would."""
    quote = 'Taxes <b>fell</b> & "rents" rose'
    aid = seed_article(client, store, f'"{quote}," Ann Lee said.', [claim_record(quote, 1, speaker="Ann <i>Lee</i>")],
                       title='<script>alert("t")</script>')
    claim = store.claims.of_article(aid).items[0]
    store.assignments.assign([claim["id"]], "<em>bob</em>", by="alice")
    sign_in(client)
    page = client.get("/console/claims").text
    assert "Taxes &lt;b&gt;fell&lt;/b&gt; &amp; &#34;rents&#34; rose" in page
    assert "Ann &lt;i&gt;Lee&lt;/i&gt;</a>" in page
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
    assert '<td class="assignee">&lt;em&gt;bob&lt;/em&gt;</td>' in page
    for raw in ("<b>", "<i>", "<script>alert", "<em>"):
        assert raw not in page
    assert f'href="/console/claims/{claim["id"]}"' in page and f'href="/console/articles/{aid}"' in page
    assert f'name="claim_ids" value="{claim["id"]}"' in page
    reader = client.application.test_client()
    sign_in(reader, "read")
    assert "claim_ids" not in reader.get("/console/claims").text  # no bulk selection without the verify role


@pytest.mark.parametrize("value", ["plain words", "", "a & b", "<b>", "x > y", 'say "no"', "it's", "&amp;",
                                   "<script>alert('x')</script> & \"more\"", "caf\u00e9 \u201cquoted\u201d"])
def test_queue_rows_escape_text_as_markupsafe_does(value):
    assert _text(value) == str(escape(value))


@pytest.mark.parametrize("text, spans, expected", [
    ("One.\n\nTwo three.", [(6, 9)], [["One."], ["", "Two", " three."]]),
    ("ab cd ef", [(0, 5), (3, 5)], [["", "ab cd", " ef"]]),  # an overlapping claim is not marked twice
])
def test_highlighting(text, spans, expected):
    claims = [{"id": f"clm_{i}", "text": text[s:e], "span": {"start": s, "end": e}} for i, (s, e) in enumerate(spans)]
    runs = highlighted(text, claims)
    assert [[r["text"] for r in p] for p in runs] == [[t for t in p if t] for p in expected]
    assert paragraphs("\n\nA\n\n\nB") == [(2, 3), (6, 7)]


def test_the_article_page_lists_superseded_claims_apart(client, store):
    aid, claim = quote_article(client, store, "Prices fell by half", "Maria Okafor")
    corrected = '"Prices fell by a third," Maria Okafor said.'
    assert client.put(f"/v1/articles/{aid}", json={"text": corrected}, headers=headers("ingest")).status_code == 202
    assert store.jobs.start_processing(aid) == (corrected, 2)
    assert store.claims.save(aid, [claim_record("Prices fell by a third", 1)], revision=2)
    sign_in(client, "read")
    page = client.get(f"/console/articles/{aid}").text
    current, _, apart = page.partition("Superseded claims")
    assert "Prices fell by a third" in current and "Prices fell by half" not in current
    assert "Prices fell by half" in apart and "since revision 2" in apart


@pytest.mark.parametrize("wanted", ["/console/%0D%0Ax", "/console/%0Ax", "/console/a%00b", "/console/%09x",
                                    "/console/%7Fx", "/console/%C2%85x"])
def test_a_next_page_with_control_characters_lands_on_the_queue(client, wanted):
    """A CR/LF (or any control character) in `next` would go into the Location header: the
    sign-in still succeeds and lands on a safe page instead of failing with a 500."""
    page = client.get(f"/console/sign-in?next={wanted}")
    response = client.post(f"/console/sign-in?next={wanted}",
                           data={"api_key": KEY["verify"], "csrf_token": token_of(page.text)})
    assert response.status_code == 302, response.status_code
    assert response.location == "/console/claims"
    assert client.get("/console/claims").status_code == 200


def test_a_plain_next_page_is_still_honoured(client):
    page = client.get("/console/sign-in?next=/console/claims%3Fstatus%3Dfalse")
    response = client.post("/console/sign-in?next=/console/claims%3Fstatus%3Dfalse",
                           data={"api_key": KEY["verify"], "csrf_token": token_of(page.text)})
    assert response.status_code == 302 and response.location == "/console/claims?status=false"
