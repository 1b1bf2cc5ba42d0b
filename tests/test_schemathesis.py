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

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from helpers import KEY, claim_record, seed_article


@pytest.fixture
def api_schema(app, client, store):
    text = 'Okafor said the dam was safe. "It is fine," she said.'
    seed_article(client, store, text, [claim_record("the dam was safe", 12, claim_type="indirect"),
                                       claim_record("It is fine", 31)])
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_document(case):
    case.call_and_validate(headers={"X-API-Key": KEY["admin"]}, excluded_checks=[positive_data_acceptance])
