"""Actions a reviewer applies to many claims at once, for the API and the console alike.

Each claim is its own transaction: one claim that is gone or taken down does not stop the
others, and the caller is told which were done and which were missing.
"""
from __future__ import annotations

from .base import Gone, NotFound
from .repositories import Repositories

#: "assign" (to the given reviewer), "unassign", or "not_a_claim" (the verification status
#: of an extraction mistake, recorded in each claim's history).
BULK_ACTIONS = ("assign", "unassign", "not_a_claim")


def apply(repos: Repositories, action: str, ids: list[str], assignee: str, by: str) -> dict[str, list[str]]:
    """Apply one of `BULK_ACTIONS` to the claims `ids` (duplicates once each)."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    ids = list(dict.fromkeys(ids))
    if action in ("assign", "unassign"):
        done = repos.assignments.assign(ids, assignee if action == "assign" else None, by=by)
    else:
        done = []
        for cid in ids:
            try:
                repos.verdicts.update(cid, {"status": "not_a_claim"}, by=by)
            except (NotFound, Gone):
                continue
            done.append(cid)
    return {"done": done, "missing": [cid for cid in ids if cid not in done]}
