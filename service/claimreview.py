"""schema.org ClaimReview (JSON-LD) for a claim with a verdict.

Ratings use a 1-5 scale (worstRating 1, bestRating 5): true 5, mostly_true 4, half_true 3,
mostly_false 2, false 1. `misleading` and `unverifiable` are not points on that scale, so
their rating carries only its name (alternateName).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCALE = {"true": 5, "mostly_true": 4, "half_true": 3, "mostly_false": 2, "false": 1}
LABELS = {
    "true": "True",
    "mostly_true": "Mostly true",
    "half_true": "Half true",
    "mostly_false": "Mostly false",
    "false": "False",
    "misleading": "Misleading",
    "unverifiable": "Unverifiable",
}
MEDIA_TYPE = "application/ld+json"


def _date(timestamp: str | None) -> str | None:
    return timestamp[:10] if timestamp else None


def claim_review(claim: Mapping[str, Any], cluster: Mapping[str, Any], reviewer_name: str,
                 reviewer_url: str | None) -> dict[str, Any]:
    """The ClaimReview of `claim`, whose appearances are its cluster's."""
    verdict = claim["verification"]["status"]
    speaker = claim["speaker"]
    author: dict[str, Any] = {"@type": "Organization" if speaker["kind"] == "organization" else "Person",
                              "name": speaker["name"]}
    if speaker.get("title") and author["@type"] == "Person":
        author["jobTitle"] = speaker["title"]
    appearances = [a for a in cluster["appearances"] if a.get("url")]
    first = next((a for a in cluster["appearances"] if a["first"]), None)
    item: dict[str, Any] = {"@type": "Claim", "author": author}
    if first is not None:
        item["datePublished"] = _date(first["published_at"] or first["created_at"])
        if first.get("url"):
            item["firstAppearance"] = {"@type": "CreativeWork", "url": first["url"]}
    if appearances:
        item["appearance"] = [{"@type": "CreativeWork", "url": a["url"]} for a in appearances]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": LABELS[verdict]}
    if verdict in SCALE:
        rating.update(ratingValue=SCALE[verdict], bestRating=5, worstRating=1)
    reviewer: dict[str, Any] = {"@type": "Organization", "name": reviewer_name}
    if reviewer_url:
        reviewer["url"] = reviewer_url
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim["text"],
        "datePublished": _date(claim["verification"]["updated_at"]),
        "author": reviewer,
        "itemReviewed": item,
        "reviewRating": rating,
    }
