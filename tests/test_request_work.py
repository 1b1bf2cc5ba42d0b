"""What every request's hooks and reads do, kept as lean as the read benchmarks need
(bench/api.py) without changing any answer: the body guard, the query parameters a list
page reads, and a claim's context."""
from __future__ import annotations

import json

from flask.testing import FlaskClient

from helpers import headers
from service.app import QueryArgs
from service.config import Config
from service.store.text import context_span

TEXT = ('First one. Mr. Smith met Dr. Jones at noon. He said so. "We will build it," Gov. Ann Lee said. '
        "Next one.\nA new line starts here.")


def context_of(claim: str) -> str:
    start = TEXT.index(claim)
    first, last = context_span(TEXT, start, start + len(claim))
    return TEXT[first:last]


def test_context_is_the_sentence_after_the_last_real_sentence_end():
    # "Mr." and "Dr." end no sentence: the context reaches back to the end of "First one."
    assert context_of("Smith met Dr. Jones") == "Mr. Smith met Dr. Jones at noon."
    assert context_of("Jones at noon") == "Mr. Smith met Dr. Jones at noon."
    # After several sentence ends, the last one before the claim counts; "Gov." does not end one.
    assert context_of("will build it") == '"We will build it," Gov. Ann Lee said.'
    assert context_of("Ann Lee said") == '"We will build it," Gov. Ann Lee said.'
    # A line break always ends a sentence.
    assert context_of("new line") == "A new line starts here."


def test_query_args_answer_absent_names_like_werkzeug():
    args = QueryArgs([("status", "true"), ("limit", "5"), ("limit", "7"), ("bad", "x")])
    assert args.get("status") == "true"
    assert args.get("cursor") is None
    assert args.get("cursor", "none") == "none"
    assert args.get("limit", type=int) == 5
    assert args.get("bad", 3, type=int) == 3
    assert args.getlist("limit") == ["5", "7"]
    assert "cursor" not in args


def test_a_list_page_with_unknown_and_repeated_parameters(client: FlaskClient):
    page = client.get("/v1/claims?limit=2&limit=900&status=true", headers=headers("read"))
    assert page.status_code == 200, page.json  # the first value of a repeated parameter counts
    refused = client.get("/v1/claims?limit=900&limit=2", headers=headers("read"))
    assert refused.status_code == 422
    assert "limit" in refused.json["errors"]


def test_the_body_guard_lets_bodiless_requests_through_and_refuses_bad_bodies(client: FlaskClient,
                                                                              config: Config):
    assert client.get("/v1/claims", headers=headers("read")).status_code == 200
    title: object = "a"
    for _ in range(40):
        title = [title]
    deep = json.dumps({"text": "x", "title": title})
    nested = client.post("/v1/articles", data=deep, content_type="application/json", headers=headers("ingest"))
    assert nested.status_code == 400
    assert "nests" in nested.json["detail"]
    # A chunked body (no Content-Length) past the limit, as a server without the buffering
    # worker hands it to the app.
    chunked = client.post("/v1/articles", data=b"x" * (config.max_body_bytes + 1), content_type="application/json",
                          headers=headers("ingest"),
                          environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True})
    assert chunked.status_code == 413
    assert chunked.mimetype == "application/problem+json"
