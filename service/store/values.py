"""Ids, times, names and cursors: the value formats every store module shares.

Ids are generated here and checked by shape (`is_id`) before they reach a key name (layout.py);
anything a client writes (names, URLs, external ids) reaches a key only through `digest`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import unicodedata
from datetime import datetime, timezone


class BadCursor(ValueError):
    """A pagination cursor that this service did not issue."""


def utcnow() -> str:
    """Current time as the ISO-8601 UTC string used everywhere in the API."""
    return format_time(datetime.now(timezone.utc))


def format_time(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds; the year always has four digits (strftime's %Y
    does not pad years before 1000 on every platform)."""
    m = moment.astimezone(timezone.utc)
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}."
            f"{m.microsecond // 1000:03d}Z")


def epoch_ms(iso: str) -> int:
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


_RANDOM_ID = re.compile(r"[0-9a-f]{16}")
_SEQ_ID = re.compile(r"[0-9a-z]{1,13}")  # claims and their clusters: a seq in base 36
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def claim_id(seq: int) -> str:
    """A claim's id: its seq in base 36."""
    digits = ""
    while True:
        seq, digit = divmod(seq, 36)
        digits = _DIGITS[digit] + digits
        if not seq:
            return "clm_" + digits


def is_id(prefix: str, value: str) -> bool:
    """Whether `value` has the shape of an id this store issued; anything else is unknown
    without a lookup, and never reaches a key name."""
    head, _, tail = value.partition("_")
    shape = _SEQ_ID if prefix in ("clm", "cls") else _RANDOM_ID
    return head == prefix and shape.fullmatch(tail) is not None


def seq_of_claim(cid: str) -> int:
    return int(cid.partition("_")[2], 36)


def cluster_of_claim(cid: str) -> str:
    """The id of the one-claim cluster every claim starts in."""
    return "cls_" + cid.partition("_")[2]


def claim_of_cluster(clsid: str) -> str:
    return "clm_" + clsid.partition("_")[2]


def digest(*parts: str) -> str:
    """A key-safe fingerprint of user-supplied strings (NUL-separated so parts cannot blur)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a text. ASCII text, most of what English news
    holds, takes a shortcut: it has no accents, and its case folding is `lower`."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_name(name: str) -> str:
    """Case-, accent- and spacing-insensitive form of a speaker name, without a leading
    article ("The Health Ministry" and "health ministry" are one name)."""
    words = fold(name).replace("\u2019", "'").split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def encode_cursor(value: str | int) -> str:
    return base64.urlsafe_b64encode(f"c1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, pattern: str = r"\d{1,18}") -> str:
    """The value inside a cursor this service issued; BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        tag, _, value = raw.partition(":")
        if tag != "c1" or not re.fullmatch(pattern, value):
            raise ValueError
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("cursor is not one this service issued") from None
