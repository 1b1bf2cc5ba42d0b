"""The OpenAPI document: served, complete, and identical to the committed openapi.yaml."""
from __future__ import annotations

from pathlib import Path

import yaml

from service.app import openapi_document

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_yaml_is_current(app):
    generated = openapi_document(app.extensions["claimtrack.api"])
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == generated, "openapi.yaml is stale: run `make openapi` and commit it"


def test_document_is_served_as_json_and_yaml(client):
    as_json = client.get("/openapi.json").json
    as_yaml = yaml.safe_load(client.get("/openapi.yaml").data)
    assert as_json == as_yaml
    assert as_json["openapi"].startswith("3.")
    assert "English" in as_json["info"]["description"]
    paths = as_json["paths"]
    for path, method in (("/v1/articles", "post"), ("/v1/articles/{article_id}", "get"),
                         ("/v1/articles/{article_id}/claims", "get"), ("/v1/claims", "get"),
                         ("/v1/claims/{claim_id}", "get"), ("/v1/claims/{claim_id}/verification", "patch"),
                         ("/v1/claims/{claim_id}/history", "get"), ("/healthz", "get"), ("/readyz", "get")):
        assert method in paths[path], (path, method)
    patch = paths["/v1/claims/{claim_id}/verification"]["patch"]
    assert {"200", "401", "403", "404", "412", "422"} <= set(patch["responses"])
    assert patch["security"]


def test_interactive_docs(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"swagger" in page.data.lower()


METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def test_the_committed_document_is_valid_openapi_and_every_operation_is_named_and_summarised():
    """What client generators need: a valid document, and on every operation an operationId
    (the generated function's name, instead of one made from the path) and a summary."""
    from openapi_spec_validator import validate

    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    validate(document)
    operations = [(path, method, operation) for path, item in document["paths"].items()
                  for method, operation in item.items() if method in METHODS]
    assert len(operations) >= 30
    unnamed = [(path, method) for path, method, op in operations if not op.get("operationId")]
    unsummarised = [(path, method) for path, method, op in operations if not (op.get("summary") or "").strip()]
    assert unnamed == [] and unsummarised == []
    ids = [op["operationId"] for _, _, op in operations]
    assert len(set(ids)) == len(ids), "operationIds are unique"
    assert all(i.isidentifier() and i == i.lower() for i in ids), ids
    named = {(path, method): op["operationId"] for path, method, op in operations}
    assert named[("/v1/articles", "post")] == "create_article"
    assert named[("/v1/claims/{claim_id}", "get")] == "get_claim"
    assert named[("/v1/claims/{claim_id}/verification", "patch")] == "update_verification"
