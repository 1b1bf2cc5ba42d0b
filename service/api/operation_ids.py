"""OpenAPI operationIds: the names a generated client gives its functions.

Without them a generator names each function after its path (`post_v1_articles`). Each
operation is named after its view function (`get_claim`, `update_verification`), except where
that name reads badly as a client call; those are renamed here. tests/test_openapi.py checks
that every operation has one and that none repeats.
"""
from __future__ import annotations

from typing import Any

from apispec import BasePlugin

#: Endpoint (blueprint.view) to operationId, where the view's own name is not the one.
RENAMED = {
    "health.healthz": "check_liveness",
    "health.readyz": "check_readiness",
    "articles.post_article": "create_article",
    "articles.list_revisions": "list_article_revisions",
    "claims.similar_claims": "list_similar_claims",
    "claims.claim_history": "list_claim_history",
    "claims.claim_review_of": "get_claim_review",
    "speakers.speaker_claims": "list_speaker_claims",
    "speakers.change_speaker": "update_speaker",
    "webhooks.rotate_secret": "rotate_webhook_secret",
    "webhooks.list_deliveries": "list_webhook_deliveries",
    "keys.create_key": "create_api_key",
    "keys.list_keys": "list_api_keys",
    "keys.delete_key": "revoke_api_key",
    "status.status": "get_status",
}


def operation_id(endpoint: str, method: str, methods: int) -> str:
    """The operationId of `method` on the view `endpoint` (which serves `methods` methods)."""
    name = RENAMED.get(endpoint, endpoint.rpartition(".")[2])
    return name if methods == 1 else f"{method}_{name}"


class OperationIds(BasePlugin):
    """An apispec plugin: gives each operation flask-smorest documents its operationId (one
    set by hand with ``@blp.doc(operationId=...)`` is kept)."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            operation.setdefault("operationId", operation_id(rule.endpoint, method, len(operations)))
