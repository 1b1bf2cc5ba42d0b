"""Per-key rate limits, counted in Redis: 429 problem+json with Retry-After."""
from __future__ import annotations

import pytest
from helpers import KEY, headers, quote_article
from service import create_app


def test_each_key_has_its_own_budget_and_probes_are_never_limited(config):
    client = create_app(config.replace(rate_limit="3 per hour")).test_client()
    for _ in range(3):
        assert client.get("/v1/claims", headers=headers("read")).status_code == 200
    limited = client.get("/v1/claims", headers=headers("read"))
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert limited.json["type"] == "/problems/rate-limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    assert client.get("/v1/claims", headers=headers("verify")).status_code == 200
    for _ in range(5):
        assert client.get("/healthz").status_code == 200


def test_limits_are_shared_by_every_api_process(config):
    """Two app instances (two gunicorn workers) count against one budget in Redis."""
    limited = config.replace(rate_limit="2 per hour")
    first, second = create_app(limited).test_client(), create_app(limited).test_client()
    assert first.get("/v1/claims", headers=headers("read")).status_code == 200
    assert second.get("/v1/claims", headers=headers("read")).status_code == 200
    assert first.get("/v1/claims", headers=headers("read")).status_code == 429


def test_guessing_keys_is_limited_per_client_address(config, redis):
    """Wrong keys are counted per address, not per key: the 6th guess gets 429, and so does a
    right key from that address (checking it would tell a guesser it was right); other
    addresses are not affected, and Redis holds a counter per address, not per guess."""
    client = create_app(config.replace(auth_failure_limit="5 per minute", rate_limit="1000 per minute")).test_client()
    guesser = {"REMOTE_ADDR": "127.0.0.7"}
    answers = [client.get("/v1/claims", headers={"X-API-Key": f"guess-{n}"}, environ_base=guesser).status_code
               for n in range(200)]
    assert answers[:5] == [401] * 5
    assert set(answers[5:]) == {429}
    limited = client.get("/v1/claims", headers={"X-API-Key": "guess-x"}, environ_base=guesser)
    assert limited.mimetype == "application/problem+json"
    assert limited.json["type"] == "/problems/rate-limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get("/v1/claims", headers=headers("read"), environ_base=guesser).status_code == 429
    assert client.get("/v1/claims", headers=headers("read"), environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code == 200
    assert client.get("/v1/claims", headers={"X-API-Key": "wrong"},
                      environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code == 401
    assert len(redis.keys("*")) <= 6, redis.keys("*")


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(config):
    client = create_app(config.replace(auth_failure_limit="2 per minute", trusted_proxies=1)).test_client()

    def guess(forwarded_for: str) -> int:
        return client.get("/v1/claims", headers={"X-API-Key": "nope", "X-Forwarded-For": forwarded_for}).status_code

    assert [guess("198.51.100.1") for _ in range(3)] == [401, 401, 429]
    assert guess("198.51.100.2") == 401, "another client behind the same proxy"
    assert guess("203.0.113.9, 198.51.100.1") == 429, "only the address the proxy appended counts"


def test_only_a_limited_answer_carries_retry_after(config):
    client = create_app(config.replace(rate_limit="100 per minute")).test_client()
    ok = client.get("/v1/claims", headers=headers("read"))
    assert ok.status_code == 200
    assert "Retry-After" not in ok.headers
    assert "X-RateLimit-Remaining" in ok.headers


def test_a_locked_out_address_gets_the_same_answer_whatever_key_it_sends(config):
    """Past the failure limit the key is not checked: two addresses locked out alike, one
    sending a wrong key and one the right key, get answers that cannot be told apart (status,
    rate-limit headers, body), so the right key is never picked out of a stream of guesses."""
    client = create_app(config.replace(auth_failure_limit="3 per minute", rate_limit="1200 per minute")).test_client()
    first, second = {"REMOTE_ADDR": "127.0.0.21"}, {"REMOTE_ADDR": "127.0.0.22"}
    for address in (first, second):
        for n in range(3):
            assert client.get("/v1/claims", headers={"X-API-Key": f"guess-{n}"}, environ_base=address).status_code == 401

    def answer(key: str, address: dict[str, str]) -> tuple[int, dict[str, str], dict]:
        response = client.get("/v1/claims", headers={"X-API-Key": key}, environ_base=address)
        body = {k: v for k, v in response.json.items() if k != "request_id"}
        shown = {k: v for k, v in response.headers.items()
                 if k.startswith("X-RateLimit") and k != "X-RateLimit-Reset" or k == "Retry-After"}
        return response.status_code, shown, body

    for wrong_from, right_from in ((first, second), (second, first)):
        wrong, right = answer("guess-x", wrong_from), answer(KEY["read"], right_from)
        assert wrong[0] == right[0] == 429
        assert wrong == right


@pytest.mark.parametrize("rate_limit", ["", "1000 per minute"])
def test_a_claim_read_in_the_round_trip_of_the_failure_check(config, redis, rate_limit):
    """With the failed-authentication limit on, GET /v1/claims/{id} reads the claim in the same
    pipeline as the lockout check (`auth.requires`' prefetch; with rate limits on, the limiter's
    key function sends it): the same answers as without it (a claim, 404, 410 after a takedown,
    a Redis that lost its scripts), and a locked-out address still cannot tell the right key
    from a wrong one, though the claim was read."""
    plain = create_app(config).test_client()
    guarded = create_app(config.replace(auth_failure_limit="3 per minute", rate_limit=rate_limit)).test_client()
    first = quote_article(plain, create_app(config).extensions["claimtrack"].repos, "Rates will fall",
                          "Maria Okafor")[1]
    cid = first["id"]
    expected = plain.get(f"/v1/claims/{cid}", headers=headers("read"))
    got = guarded.get(f"/v1/claims/{cid}", headers=headers("read"))
    assert got.status_code == 200 and got.json == expected.json and got.headers["ETag"] == expected.headers["ETag"]
    assert "context" in got.json
    assert guarded.get("/v1/claims/clm_zzzzzz", headers=headers("read")).status_code == 404
    redis.script_flush()
    assert guarded.get(f"/v1/claims/{cid}", headers=headers("read")).json == expected.json

    locked, wrong_from = {"REMOTE_ADDR": "127.0.0.31"}, {"REMOTE_ADDR": "127.0.0.32"}
    for address in (locked, wrong_from):
        for n in range(3):
            assert guarded.get(f"/v1/claims/{cid}", headers={"X-API-Key": f"guess-{n}"},
                               environ_base=address).status_code == 401
    right = guarded.get(f"/v1/claims/{cid}", headers=headers("read"), environ_base=locked)
    wrong = guarded.get(f"/v1/claims/{cid}", headers={"X-API-Key": "guess-x"}, environ_base=wrong_from)
    assert right.status_code == wrong.status_code == 429
    assert {k: v for k, v in right.json.items() if k != "request_id"} == \
        {k: v for k, v in wrong.json.items() if k != "request_id"}
    assert abs(int(right.headers["Retry-After"]) - int(wrong.headers["Retry-After"])) <= 1
    limit_headers = [{k: v for k, v in answer.headers.items() if k.startswith("X-RateLimit") and k != "X-RateLimit-Reset"}
                     for answer in (right, wrong)]
    assert limit_headers[0] == limit_headers[1]
    assert bool(limit_headers[0]) == bool(rate_limit)

    aid = first["article_id"]
    assert plain.delete(f"/v1/articles/{aid}", headers=headers("admin")).status_code == 200
    assert guarded.get(f"/v1/claims/{cid}", headers=headers("read")).status_code == 410


@pytest.mark.parametrize("rate_limit", ["", "1000 per minute"])
def test_a_list_page_read_in_the_round_trip_of_the_failure_check(config, redis, rate_limit):
    """With the failed-authentication limit on, GET /v1/claims sends its page with the lockout
    check (`auth.read_checked`): the same pages as without it (filters, cursors, a Redis that
    lost its scripts). The view runs before the check, but the guard's answers still come
    first: a locked-out address gets 429 whatever its key and arguments, a wrong key 401 and a
    key without the role 403 rather than a validation error, and each wrong key counts once."""
    plain = create_app(config).test_client()
    guarded = create_app(config.replace(auth_failure_limit="3 per minute", rate_limit=rate_limit)).test_client()
    repos = create_app(config).extensions["claimtrack"].repos
    for quote, speaker in (("Rates will fall", "Maria Okafor"), ("Taxes will rise", "Tom Reyes"),
                           ("Growth will return", "Maria Okafor")):
        quote_article(plain, repos, quote, speaker)
    paths = ["/v1/claims", "/v1/claims?limit=1", "/v1/claims?speaker=Maria%20Okafor",
             "/v1/claims?status=unverified&include=context", "/v1/claims?article_id=art_0000000000000000"]
    first = plain.get("/v1/claims?limit=1", headers=headers("read")).json
    assert first["next_cursor"]
    paths.append(f"/v1/claims?limit=1&cursor={first['next_cursor']}")
    expected = [plain.get(path, headers=headers("read")).json for path in paths]
    assert [len(page["items"]) for page in expected] == [3, 1, 2, 3, 0, 1]
    assert [guarded.get(path, headers=headers("read")).json for path in paths] == expected
    redis.script_flush()
    assert [guarded.get(path, headers=headers("read")).json for path in paths] == expected
    assert guarded.get("/v1/claims?cursor=nonsense", headers=headers("read")).status_code == 400

    invalid = "/v1/claims?limit=0"
    assert guarded.get(invalid, headers=headers("read")).status_code == 422
    assert guarded.get(invalid, headers=headers("ingest")).status_code == 403
    other = {"REMOTE_ADDR": "127.0.0.40"}
    assert guarded.get(invalid, headers={"X-API-Key": "wrong"}, environ_base=other).status_code == 401

    locked = {"REMOTE_ADDR": "127.0.0.41"}
    guesses = [guarded.get(path, headers={"X-API-Key": f"guess-{n}"}, environ_base=locked).status_code
               for n, path in enumerate(("/v1/claims", invalid, "/v1/claims?limit=1"))]
    assert guesses == [401, 401, 401]
    for path in ("/v1/claims", invalid):
        right = guarded.get(path, headers=headers("read"), environ_base=locked)
        wrong = guarded.get(path, headers={"X-API-Key": "guess-x"}, environ_base=locked)
        assert right.status_code == wrong.status_code == 429
        assert {k: v for k, v in right.json.items() if k != "request_id"} == \
            {k: v for k, v in wrong.json.items() if k != "request_id"}
    assert guarded.get("/v1/claims", headers=headers("read"), environ_base=other).status_code == 200
