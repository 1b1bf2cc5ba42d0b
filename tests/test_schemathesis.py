"""Property-based tests generated from the OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid input, with an admin key; each
response must not be a 5xx and must match the document (status code, content type,
headers, body schema), and input the document calls invalid must be refused. Data is seeded
first so that list endpoints serialise real claims.

One check is left out: `positive_data_acceptance`, which expects every request the document
allows to succeed. Some validity is not a matter of syntax: a cursor must be one this service
issued (else 400), an URL must have a real host name (else 422). Those answers are documented.
"""
from __future__ import annotations

import socket

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from helpers import KEY, claim_record, seed_article


@pytest.fixture(autouse=True)
def names_do_not_resolve(monkeypatch):
    """Webhook registration resolves the URL's host; generated names must not turn into DNS
    queries that leave the machine. Like the browser tests' host-resolver rules: numeric
    addresses and localhost resolve, every other name is unknown."""
    real = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name == "localhost" or all(c in "0123456789.:abcdefABCDEFx" for c in name):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "names do not resolve in this test")

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture
def api_schema(app, client, store):
    text = 'Okafor said the dam was safe. "It is fine," she said.'
    seed_article(client, store, text, [claim_record("the dam was safe", 12, claim_type="indirect"),
                                       claim_record("It is fine", 31)])
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


MUTATING = ["POST", "PATCH", "PUT", "DELETE"]
HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture]


@schema.exclude(method=MUTATING).parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=HEALTH_CHECKS)
def test_api_conforms_to_its_document(case):
    case.call_and_validate(headers={"X-API-Key": KEY["admin"]}, excluded_checks=[positive_data_acceptance])


@schema.include(method=MUTATING).parametrize()
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=HEALTH_CHECKS)
def test_mutating_operations_conform_to_the_document(case):
    """Writes get more examples: a 500 there may leave half-written data behind."""
    case.call_and_validate(headers={"X-API-Key": KEY["admin"]}, excluded_checks=[positive_data_acceptance])


JSON_OPERATIONS = [("POST", "/v1/articles"), ("PATCH", "/v1/claims/clm_1/verification"),
                   ("PATCH", "/v1/speakers/spk_0123456789abcdef"), ("POST", "/v1/webhooks"), ("POST", "/v1/keys")]


@pytest.mark.parametrize("method, path", JSON_OPERATIONS)
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(client, method, path):
    for body in ("[" * 1000 + "]" * 1000, '{"text": ' + "[" * 5000 + "]" * 5000 + "}", "{" + '"a":{' * 40 + "}" * 41):
        answer = client.open(path, method=method, data=body,
                             headers={"X-API-Key": KEY["admin"], "Content-Type": "application/json"})
        assert answer.status_code == 400, (path, answer.json)
        assert answer.mimetype == "application/problem+json"
