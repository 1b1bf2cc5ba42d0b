"""Shared fixtures: the spaCy model is loaded once per test session (it takes seconds)."""
from __future__ import annotations

import pytest

from workers.extraction import Claim, extract_claims, load_model


@pytest.fixture(scope="session")
def nlp():
    return load_model()


@pytest.fixture(scope="session")
def extract(nlp):
    """Extract claims and check the offset contract on every call."""

    def run(text: str) -> list[Claim]:
        claims = extract_claims(text, nlp)
        for c in claims:
            assert text[c.start:c.end] == c.text
            assert 0.0 <= c.confidence <= 1.0
        assert [c.start for c in claims] == sorted(c.start for c in claims)
        return claims

    return run


def only(claims: list[Claim], fragment: str) -> Claim:
    """The single claim whose text contains `fragment`."""
    hits = [c for c in claims if fragment in c.text]
    assert len(hits) == 1, f"expected one claim with {fragment!r}, got {[c.text for c in claims]}"
    return hits[0]
