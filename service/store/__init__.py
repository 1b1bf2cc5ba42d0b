"""Every Redis read and write of Claimtrack: one repository class per kind of record, wired
together by `Repositories` (see repositories.py). The key layout is documented in `layout.py`."""
from .layout import (
    ARTICLE_STATUSES,
    CLAIM_TYPES,
    CORRECTABLE,
    EVENT_TYPES,
    ORIGINS,
    SPEAKER_KINDS,
    STANCES,
    VERDICTS,
    VERIFICATION_STATUSES,
    Keys,
)
from .values import BadCursor, decode_cursor, digest, encode_cursor, format_time, is_id, normalize_name, utcnow
from .base import Conflict, CursorExpired, Gone, NotFound, Page, VersionMismatch
from .connection import Connection, Options
from .articles import DedupKey
from .webhooks import DELIVERY_QUEUE
from .repositories import Repositories
from .text import words

__all__ = [
    "ARTICLE_STATUSES", "CLAIM_TYPES", "CORRECTABLE", "EVENT_TYPES", "ORIGINS", "SPEAKER_KINDS", "STANCES", "VERDICTS", "VERIFICATION_STATUSES",
    "DELIVERY_QUEUE", "BadCursor", "Conflict", "Connection", "Gone", "CursorExpired", "DedupKey", "Keys", "NotFound",
    "Options", "Page", "Repositories", "VersionMismatch", "decode_cursor", "digest", "encode_cursor", "format_time",
    "is_id", "normalize_name", "utcnow", "words",
]
