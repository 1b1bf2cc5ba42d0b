"""What the claim and article pages show beside their main record: the claim sentence, the
correction forms' choices, neighbours, the review mark. Kept apart from the views
so that the correction views (review.py) and the page views (views.py) can both use it."""
from __future__ import annotations

from typing import Any

from flask import request

from ..runtime import runtime
from ..store import CLAIM_TYPES, SPEAKER_KINDS, STANCES
from ..store.claim_page import ClaimPage
from .text import claim_sentence

#: How many registry speakers a speaker search on the claim page offers.
SPEAKER_RESULTS = 10


def claim_context(page: ClaimPage) -> dict[str, Any]:
    """The claim sentence, the correction forms' choices (with a registry search when one was
    asked for), the claim's neighbours in its article and its assignee."""
    claim = page.claim
    query = request.args.get("speaker_q", "").strip()[:300]
    found = runtime().repos.speakers.search(query, limit=SPEAKER_RESULTS).items if query else []
    return {"sentence": claim_sentence(claim), "speaker_query": query, "speaker_results": found,
            "stances": STANCES, "types": CLAIM_TYPES, "kinds": SPEAKER_KINDS, "previous_claim": page.previous,
            "next_claim": page.following, "assignee": claim["assignee"]}


def article_context(article: dict[str, Any]) -> dict[str, Any]:
    """The article's review mark and the add-a-claim form's choices."""
    review = runtime().repos.reviews.get(article["id"])
    return {"review": review.as_dict() if review else None, "stances": STANCES, "types": CLAIM_TYPES,
            "kinds": SPEAKER_KINDS}
