"""schema.org ClaimReview (JSON-LD) for a claim with a verdict, in the shape of Google's Fact
Check markup (required: claimReviewed, reviewRating with alternateName, url, author).

Ratings use a 1-5 scale (worstRating 1, bestRating 5): true 5, mostly_true 4, half_true 3,
mostly_false 2, false 1. `misleading` and `unverifiable` are not points on that scale, so
their rating carries only its name (alternateName).

`claimReviewed` states the claim as the speaker made it: a denial reads "X denied that ...",
a question "X questioned whether ...", so that a rating never reads as a rating of the bare
clause the speaker rejected or asked about.
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


def claim_reviewed(claim: Mapping[str, Any]) -> str:
    """The claim as the speaker made it, stance included."""
    text, name, stance = claim["text"], claim["speaker"]["name"], claim.get("stance") or "asserts"
    if stance == "asserts":
        return text
    if claim["type"] == "direct":
        return f"{name} denied it, saying: \u201c{text}\u201d" if stance == "denies" else f"{name} asked: \u201c{text}\u201d"
    return f"{name} denied that {text}" if stance == "denies" else f"{name} questioned whether {text}"


def claim_review(claim: Mapping[str, Any], cluster: Mapping[str, Any], reviewer_name: str,
                 reviewer_url: str | None) -> dict[str, Any]:
    """The ClaimReview of `claim`, whose appearances are its cluster's. Without the verdict's
    `review_url` the document has no `url` and is a draft (the API says so)."""
    verification = claim["verification"]
    verdict = verification["status"]
    speaker = claim["speaker"]
    author: dict[str, Any] = {"@type": "Organization" if speaker["kind"] == "organization" else "Person",
                              "name": speaker["name"]}
    if speaker.get("title") and author["@type"] == "Person":
        author["jobTitle"] = speaker["title"]
    urls = list(dict.fromkeys(a["url"] for a in cluster["appearances"] if a.get("url")))
    first = next((a for a in cluster["appearances"] if a["first"]), None)
    item: dict[str, Any] = {"@type": "Claim", "author": author}
    if first is not None:
        item["datePublished"] = _date(first["published_at"] or first["created_at"])
        if first.get("url"):
            item["firstAppearance"] = {"@type": "CreativeWork", "url": first["url"]}
    if urls:
        item["appearance"] = [{"@type": "CreativeWork", "url": url} for url in urls]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": LABELS[verdict]}
    if verdict in SCALE:
        rating.update(ratingValue=SCALE[verdict], bestRating=5, worstRating=1)
    reviewer: dict[str, Any] = {"@type": "Organization", "name": reviewer_name}
    if reviewer_url:
        reviewer["url"] = reviewer_url
    document: dict[str, Any] = {"@context": "https://schema.org", "@type": "ClaimReview"}
    if verification.get("review_url"):
        document["url"] = verification["review_url"]
    document.update({
        "claimReviewed": claim_reviewed(claim),
        "datePublished": _date(verification["updated_at"]),
        "inLanguage": "en",
        "author": reviewer,
        "itemReviewed": item,
        "reviewRating": rating,
    })
    if verification.get("note"):
        document["reviewBody"] = verification["note"]
    return document
