"""Suggestions: the claims that may be the same claim as another (`rules.suggestion`), ranked,
from stored records. `ClusterRepository.similar` and the console's claim page
(`claim_page.read_claim_page`) read the candidates each in their own way and rank them here."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import records, rules


def ranked_suggestions(claim: Mapping[str, Any], candidates: Iterable[tuple[str, str | None]],
                       limit: int) -> list[tuple[str, rules.Suggestion, dict[str, Any]]]:
    """(cluster id, suggestion, the other claim's compared fields: `records.comparable_claim`) for
    the best `limit` of `candidates` ((claim id, stored record or None)), best first, one per
    cluster. `claim` holds `unpack_claim`'s fields. Claims of its own cluster and claims marked
    not a claim are never suggested; `rules.suggestion` decides the rest."""
    best: dict[str, tuple[rules.Suggestion, dict[str, Any]]] = {}
    for other_id, other_raw in candidates:
        if other_raw is None or other_id == claim["id"]:
            continue
        other = records.comparable_claim(other_id, other_raw)
        if other["cluster_id"] == claim["cluster_id"] or other["status"] == rules.NOT_A_CLAIM:
            continue
        found = rules.suggestion(claim, other)
        if found is not None and (other["cluster_id"] not in best
                                  or found.score > best[other["cluster_id"]][0].score):
            best[other["cluster_id"]] = (found, other)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0].score, -item[1][1]["seq"]))[:limit]
    return [(clsid, found, other) for clsid, (found, other) in ranked]


def suggestion_of(clsid: str, found: rules.Suggestion, shown: dict[str, Any]) -> dict[str, Any]:
    """One entry of `ClusterRepository.similar`: the other claim as the API shows it."""
    return {"cluster_id": clsid, "score": found.score, "reasons": found.reasons,
            "differences": found.differences, "claim": shown}
