"""Every Redis read and write of Claimtrack. The key layout is documented in `layout.py`."""
from .layout import (
    ARTICLE_STATUSES,
    CLAIM_TYPES,
    EVENT_TYPES,
    SPEAKER_KINDS,
    STANCES,
    VERDICTS,
    VERIFICATION_STATUSES,
    BadCursor,
    Keys,
    decode_cursor,
    digest,
    encode_cursor,
    format_time,
    is_id,
    normalize_name,
    utcnow,
)
from .base import Conflict, CursorExpired, NotFound, Page, VersionMismatch
from .store import Options, Store
from .extraction_jobs import DedupKey
from .webhooks import DELIVERY_QUEUE
from .articles import Gone
from .text import words

__all__ = [
    "ARTICLE_STATUSES", "CLAIM_TYPES", "EVENT_TYPES", "SPEAKER_KINDS", "STANCES", "VERDICTS", "VERIFICATION_STATUSES", "DELIVERY_QUEUE",
    "BadCursor", "Conflict", "Gone", "CursorExpired", "DedupKey", "Keys", "NotFound", "Options", "Page", "Store",
    "VersionMismatch", "decode_cursor", "digest", "encode_cursor", "format_time", "is_id", "normalize_name",
    "utcnow", "words",
]
