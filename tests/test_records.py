"""The two ways a stored claim becomes the API's Claim give the same answer.

`records.shown_claim` builds a claim straight from its stored array (the read paths' fast
way); `records.claim(records.unpack_claim(...))` goes through named fields. A field added
to the record must appear in both, or reads disagree with what was saved.
"""
from __future__ import annotations

import pytest

from service.store import records

BASE = {"article_id": "art_1", "text": "The bridge will reopen in June", "type": "indirect", "cue": "said",
        "start": 10, "end": 40, "confidence": 0.8, "speaker_id": "spk_1", "speaker_name": "Ana Silva",
        "speaker_mention": "Silva", "speaker_title": "Mayor", "speaker_kind": "person", "cluster_id": None,
        "created_at": "2026-12-06T10:00:00Z", "version": 1}


@pytest.mark.parametrize("extra", [
    {},
    {"status": "false", "note": "checked", "evidence": ["https://example.org/e"], "updated_by": "kim",
     "updated_at": "2026-12-06T11:00:00Z", "stance": "denies", "revision": 2, "extractor_version": "rules 6"},
    {"origin": "reviewer", "corrected": ["speaker", "span"], "assignee": "kim"},
    {"assignee": "kim"},
])
def test_shown_claim_matches_the_named_fields_path(extra):
    raw = records.pack_claim("clm_1", {**BASE, **extra})
    assert records.shown_claim("clm_1", raw) == records.claim(records.unpack_claim("clm_1", raw))
    shown = records.shown_claim("clm_1", raw)
    for name in ("origin", "corrected", "assignee"):
        if name in extra:
            assert shown[name] == extra[name]


def test_a_record_from_a_newer_writer_reads_as_the_fields_known_here():
    """A record with values past CLAIM_FIELDS (a field a newer version added, read by an older
    process during a rolling upgrade) is read as the fields known here, not refused."""
    full = {**BASE, "status": "true", "origin": "reviewer", "corrected": ["span"], "assignee": "kim"}
    raw = records.pack_claim("clm_1", full)
    newer = raw[:-1] + b',"a value of a newer field"]'
    assert records.shown_claim("clm_1", newer) == records.shown_claim("clm_1", raw)
    assert records.shown_claim("clm_1", newer) == records.claim(records.unpack_claim("clm_1", newer))
