"""Every Redis read and write of Claimtrack, and the key layout they share.

Key layout (all keys start with ``ct:``; ids are generated here, user input never becomes a
key except through a hash digest, so nothing in an article can shape a key):

==================================  ======  ===================================================
key                                 type    holds
==================================  ======  ===================================================
ct:article:{aid}                    hash    the article record (text, status, error, counts...)
ct:article:{aid}:claims             zset    the article's claim ids, score = claim seq
ct:articles                         zset    every article id, score = creation time (ms)
ct:dedup:ext:{sha256}               string  article id for an ``external_id``
ct:dedup:url:{sha256}               string  article id for a (url, text) pair
ct:dedup:idem:{sha256}              string  article id for a (principal, Idempotency-Key), TTL
ct:claim:{cid}                      hash    the claim record, verification included
ct:claim:{cid}:history              list    verification changes, oldest first (JSON)
ct:claims                           zset    every claim id, score = claim seq
ct:claims:status:{status}           zset    claim ids by verification status, score = seq
ct:claims:type:{type}               zset    claim ids by type, score = seq
ct:claims:speaker:{digest}          zset    claim ids by normalised speaker name, score = seq
ct:speaker:{sid}                    hash    speaker record (name, kind, claim_count, ...)
ct:seq:claims                       string  counter giving each claim its seq
ct:apikey:{sha256 of secret}        hash    a managed API key: id, name, roles (never the secret)
ct:apikeys                          hash    managed key id -> sha256 of its secret
==================================  ======  ===================================================

A claim's ``seq`` is unique and grows with creation, so sorting any index by score gives
creation order, and a cursor (the last seq seen) stays valid while new claims arrive: new
claims have higher seqs and never shift a page that is being walked newest-first.

A claim and every index entry pointing at it are written in one MULTI/EXEC (or one Lua
script), so a reader never sees one without the other.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import WatchError

PREFIX = "ct"

ARTICLE_STATUSES = ("queued", "processing", "done", "failed")
CLAIM_TYPES = ("direct", "indirect", "mixed")
VERIFICATION_STATUSES = (
    "unverified",
    "in_review",
    "true",
    "mostly_true",
    "half_true",
    "mostly_false",
    "false",
    "misleading",
    "unverifiable",
)

#: How many index entries one list request may examine when filters are combined; a page
#: can come back short (with a cursor) rather than let one request walk a huge index.
SCAN_BUDGET = 2000


class NotFound(LookupError):
    """The record asked for does not exist."""


class VersionMismatch(Exception):
    """An ``If-Match`` version no longer matches the stored one."""

    def __init__(self, current: int) -> None:
        super().__init__(f"current version is {current}")
        self.current = current


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


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


_ID = re.compile(r"[0-9a-f]{24}")


def is_id(prefix: str, value: str) -> bool:
    """Whether `value` has the shape of an id this store issued; anything else is unknown
    without a lookup, and never reaches a key name."""
    head, _, tail = value.partition("_")
    return head == prefix and _ID.fullmatch(tail) is not None


def digest(*parts: str) -> str:
    """A key-safe fingerprint of user-supplied strings (NUL-separated so parts cannot blur)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def normalize_name(name: str) -> str:
    """Case-, accent- and spacing-insensitive form of a speaker name, for lookups."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def speaker_id(name: str, kind: str, article_id: str) -> str:
    """Stable id of a speaker.

    Named people and organisations get the same id in every article that names them the
    same way; an unnamed source ("a senior official") is only ever the same source within
    one article, so its id is scoped to that article.
    """
    scope = article_id if kind in ("unnamed", "unknown") else ""
    return "sp_" + digest(scope, normalize_name(name))[:20]


def encode_cursor(score: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{score}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        tag, _, value = raw.partition(":")
        if tag != "c1" or not value.isdigit():
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("cursor is not one this service issued") from None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class DedupKey:
    """One way of recognising an article that was posted before."""

    kind: str  # "ext", "url" or "idem"
    fingerprint: str
    ttl: int | None = None


class Keys:
    """Key names, in one place so that the layout above is the whole truth."""

    @staticmethod
    def article(aid: str) -> str:
        return f"{PREFIX}:article:{aid}"

    @staticmethod
    def article_claims(aid: str) -> str:
        return f"{PREFIX}:article:{aid}:claims"

    articles = f"{PREFIX}:articles"

    @staticmethod
    def dedup(kind: str, fingerprint: str) -> str:
        return f"{PREFIX}:dedup:{kind}:{fingerprint}"

    @staticmethod
    def claim(cid: str) -> str:
        return f"{PREFIX}:claim:{cid}"

    @staticmethod
    def history(cid: str) -> str:
        return f"{PREFIX}:claim:{cid}:history"

    claims = f"{PREFIX}:claims"

    @staticmethod
    def by_status(status: str) -> str:
        return f"{PREFIX}:claims:status:{status}"

    @staticmethod
    def by_type(claim_type: str) -> str:
        return f"{PREFIX}:claims:type:{claim_type}"

    @staticmethod
    def by_speaker(name: str) -> str:
        return f"{PREFIX}:claims:speaker:{digest(normalize_name(name))[:32]}"

    @staticmethod
    def speaker(sid: str) -> str:
        return f"{PREFIX}:speaker:{sid}"

    claim_seq = f"{PREFIX}:seq:claims"

    @staticmethod
    def api_key(secret_digest: str) -> str:
        return f"{PREFIX}:apikey:{secret_digest}"

    api_keys = f"{PREFIX}:apikeys"


# Walks one index in score order from an exclusive bound, keeping members present in every
# other index given; stops at `limit` matches or after examining `budget` members. Returns
# the matches, the last score examined, and 1 when the walked index has nothing further.
_PAGE_SCRIPT = """
local dir, bound, limit, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local chunk = math.min(math.max(limit, 64), budget)
local out, scanned, exhausted = {}, 0, 0
local function after(from, count)
  if dir == 'desc' then
    local hi = from == '' and '+inf' or ('(' .. from)
    return redis.call('ZRANGE', KEYS[1], hi, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES')
  end
  local lo = from == '' and '-inf' or ('(' .. from)
  return redis.call('ZRANGE', KEYS[1], lo, '+inf', 'BYSCORE', 'LIMIT', 0, count, 'WITHSCORES')
end
while #out < limit and scanned < budget do
  local batch = after(bound, chunk)
  local n = #batch / 2
  if n == 0 then exhausted = 1 break end
  local consumed = 0
  for i = 1, #batch, 2 do
    local member = batch[i]
    bound = batch[i + 1]
    scanned = scanned + 1
    consumed = consumed + 1
    local keep = true
    for k = 2, #KEYS do
      if not redis.call('ZSCORE', KEYS[k], member) then keep = false break end
    end
    if keep then out[#out + 1] = member end
    if #out >= limit or scanned >= budget then break end
  end
  if consumed == n and n < chunk then exhausted = 1 break end
end
if exhausted == 0 and #KEYS == 1 and #after(bound, 1) == 0 then exhausted = 1 end
return {out, bound, exhausted}
"""

# Sets a claim's verification if its version still matches, moves it between status indexes
# and appends the history entry, all at once. KEYS: claim, history, then one status index per
# status, in the order ARGV[9..] names them.
_VERIFY_SCRIPT = """
local cur = redis.call('HMGET', KEYS[1], 'version', 'status', 'seq')
if not cur[1] then return {'missing'} end
if ARGV[1] ~= '' and not string.find(ARGV[1], ',' .. cur[1] .. ',', 1, true) then
  return {'stale', cur[1]}
end
local index = {}
for i = 9, #ARGV do index[ARGV[i]] = KEYS[i - 6] end
local from, to, cid = cur[2], ARGV[2], ARGV[8]
redis.call('HSET', KEYS[1], 'status', to, 'note', ARGV[3], 'evidence', ARGV[4],
           'updated_by', ARGV[5], 'updated_at', ARGV[6], 'version', tonumber(cur[1]) + 1)
if from ~= to then
  redis.call('ZREM', index[from], cid)
  redis.call('ZADD', index[to], cur[3], cid)
end
redis.call('RPUSH', KEYS[2], '{"from":' .. cjson.encode(from) .. ',' .. string.sub(ARGV[7], 2))
return {'ok', redis.call('HGETALL', KEYS[1])}
"""


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _none(value: str | None) -> str | None:
    return value if value else None


class Store:
    """Claimtrack's records in Redis. One instance per Redis connection pool."""

    def __init__(self, redis: Redis, raw: Redis) -> None:
        """`redis` decodes responses to str for our records; `raw` returns bytes, as RQ
        needs, and serves the job queue. Both talk to the same server."""
        self.redis = redis
        self.raw = raw
        self._page = redis.register_script(_PAGE_SCRIPT)
        self._verify = redis.register_script(_VERIFY_SCRIPT)

    @classmethod
    def from_url(cls, url: str, socket_timeout: float | None = 5.0) -> "Store":
        options = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            "health_check_interval": 30,
        }
        return cls(
            Redis.from_url(url, decode_responses=True, **options),
            Redis.from_url(url, decode_responses=False, **options),
        )

    @classmethod
    def for_connection(cls, raw: Redis) -> "Store":
        """A store sharing `raw`'s server and settings (RQ hands jobs a bytes client)."""
        kwargs = {**raw.connection_pool.connection_kwargs, "decode_responses": True}
        pool = type(raw.connection_pool)(connection_class=raw.connection_pool.connection_class, **kwargs)
        return cls(Redis(connection_pool=pool), raw)

    def ping(self) -> bool:
        return bool(self.redis.ping())

    # -- articles ---------------------------------------------------------------------------

    def create_article(
        self,
        fields: Mapping[str, Any],
        dedup: Sequence[DedupKey],
        enqueue: Callable[[Pipeline, str], None],
    ) -> tuple[dict[str, Any], bool]:
        """Store a new article and queue its extraction job in the same transaction.

        Returns ``(article, created)``. When any dedup key already names an article, that
        article is returned and nothing is written or queued. WATCH on the dedup keys makes
        two simultaneous posts of the same article create it once.
        """
        dedup_keys = [Keys.dedup(d.kind, d.fingerprint) for d in dedup]
        aid = new_id("art")
        now = utcnow()
        record = {k: _s(v) for k, v in fields.items() if v is not None}
        record.update(id=aid, status="queued", claim_count="0", created_at=now, attempts="0")
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    if dedup_keys:
                        pipe.watch(*dedup_keys)
                        for key in dedup_keys:
                            existing = pipe.get(key)
                            if existing:
                                article = self.get_article(existing)
                                if article is not None:
                                    pipe.unwatch()
                                    return article, False
                    pipe.multi()
                    pipe.hset(Keys.article(aid), mapping=record)
                    pipe.zadd(Keys.articles, {aid: _epoch_ms(now)})
                    for d, key in zip(dedup, dedup_keys):
                        pipe.set(key, aid, ex=d.ttl)
                    enqueue(pipe, aid)
                    pipe.execute()
                    break
                except WatchError:
                    continue
        article = self.get_article(aid)
        assert article is not None
        return article, True

    def get_article(self, aid: str) -> dict[str, Any] | None:
        if not is_id("art", aid):
            return None
        raw = self.redis.hgetall(Keys.article(aid))
        return _article(raw) if raw else None

    def requeue_article(
        self, aid: str, enqueue: Callable[[Pipeline, str], None]
    ) -> tuple[dict[str, Any], bool] | None:
        """Queue a failed article again, with its new job, in one transaction.

        Returns ``(article, requeued)``: only a `failed` article is requeued; any other is
        left alone. None for an unknown article.
        """
        if not is_id("art", aid):
            return None
        key = Keys.article(aid)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    status = pipe.hget(key, "status")
                    if status is None:
                        pipe.unwatch()
                        return None
                    requeued = status == "failed"
                    if requeued:
                        pipe.multi()
                        pipe.hset(key, mapping={"status": "queued", "error": "", "processed_at": ""})
                        enqueue(pipe, aid)
                        pipe.execute()
                    else:
                        pipe.unwatch()
                    break
                except WatchError:
                    continue
        article = self.get_article(aid)
        assert article is not None
        return article, requeued

    def start_processing(self, aid: str) -> str | None:
        """Mark an article as being processed; returns its text, or None when there is
        nothing to do (unknown article, or already done by an earlier run of the job)."""
        key = Keys.article(aid)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    status, text = pipe.hmget(key, "status", "text")
                    if status is None or status == "done":
                        pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.hset(key, "status", "processing")
                    pipe.hincrby(key, "attempts", 1)
                    pipe.execute()
                    return text or ""
                except WatchError:
                    continue

    def save_claims(self, aid: str, claims: Sequence[Mapping[str, Any]]) -> bool:
        """Store an article's extracted claims and mark it done, all or nothing.

        Idempotent: if the article is already done (an earlier attempt of the same job got
        this far), nothing is written and False is returned, so a retried job never stores
        an article's claims twice.
        """
        key = Keys.article(aid)
        ordered = sorted(claims, key=lambda c: (c["start"], c["end"]))
        first_seq = self.redis.incrby(Keys.claim_seq, len(ordered)) - len(ordered) + 1 if ordered else 0
        now = utcnow()
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.hget(key, "status") in (None, "done"):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    speakers: dict[str, dict[str, str]] = {}
                    for offset, claim in enumerate(ordered):
                        seq = first_seq + offset
                        cid = new_id("clm")
                        speaker = claim["speaker"]
                        sid = speaker_id(speaker["name"], speaker.get("kind", "person"), aid)
                        speakers.setdefault(sid, {"name": speaker["name"], "kind": speaker.get("kind") or "person"})
                        pipe.hset(
                            Keys.claim(cid),
                            mapping={
                                "id": cid,
                                "article_id": aid,
                                "seq": seq,
                                "text": claim["text"],
                                "type": claim["type"],
                                "cue": claim["cue"],
                                "start": claim["start"],
                                "end": claim["end"],
                                "confidence": f"{float(claim.get('confidence', 0.0)):.3f}",
                                "speaker_id": sid,
                                "speaker_name": speaker["name"],
                                "speaker_mention": _s(speaker.get("mention")),
                                "speaker_title": _s(speaker.get("title")),
                                "speaker_kind": _s(speaker.get("kind")),
                                "status": "unverified",
                                "note": "",
                                "evidence": "[]",
                                "updated_by": "",
                                "updated_at": "",
                                "created_at": now,
                                "version": 1,
                            },
                        )
                        for index in (
                            Keys.claims,
                            Keys.article_claims(aid),
                            Keys.by_status("unverified"),
                            Keys.by_type(claim["type"]),
                            Keys.by_speaker(speaker["name"]),
                        ):
                            pipe.zadd(index, {cid: seq})
                        pipe.hincrby(Keys.speaker(sid), "claim_count", 1)
                    for sid, info in speakers.items():
                        pipe.hsetnx(Keys.speaker(sid), "id", sid)
                        pipe.hsetnx(Keys.speaker(sid), "name", info["name"])
                        pipe.hsetnx(Keys.speaker(sid), "kind", info["kind"])
                        pipe.hsetnx(Keys.speaker(sid), "first_seen", now)
                        pipe.hset(Keys.speaker(sid), "last_seen", now)
                    pipe.hset(
                        key,
                        mapping={"status": "done", "error": "", "claim_count": len(ordered), "processed_at": now},
                    )
                    pipe.execute()
                    return True
                except WatchError:
                    continue

    def set_article_status(self, aid: str, status: str, error: str = "") -> None:
        """Record a failure or a pending retry; never touches an article that is done."""
        key = Keys.article(aid)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.hget(key, "status") in (None, "done"):
                        pipe.unwatch()
                        return
                    pipe.multi()
                    mapping = {"status": status, "error": error}
                    if status == "failed":
                        mapping["processed_at"] = utcnow()
                    pipe.hset(key, mapping=mapping)
                    pipe.execute()
                    return
                except WatchError:
                    continue

    # -- claims -----------------------------------------------------------------------------

    def get_claim(self, cid: str) -> dict[str, Any] | None:
        if not is_id("clm", cid):
            return None
        raw = self.redis.hgetall(Keys.claim(cid))
        return _claim(raw) if raw else None

    def list_claims(
        self,
        *,
        status: str | None = None,
        claim_type: str | None = None,
        speaker: str | None = None,
        article_id: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Claims newest first, filtered by every criterion given (AND)."""
        indexes = []
        if article_id is not None:
            if not is_id("art", article_id):
                return Page(items=[], next_cursor=None)
            indexes.append(Keys.article_claims(article_id))
        if status is not None:
            indexes.append(Keys.by_status(status))
        if claim_type is not None:
            indexes.append(Keys.by_type(claim_type))
        if speaker is not None:
            indexes.append(Keys.by_speaker(speaker))
        if not indexes:
            indexes.append(Keys.claims)
        elif len(indexes) > 1:
            # Walk the smallest index; the others are only probed, O(1) each.
            with self.redis.pipeline(transaction=False) as pipe:
                for key in indexes:
                    pipe.zcard(key)
                sizes = pipe.execute()
            indexes = [k for _, k in sorted(zip(sizes, indexes))]
        return self._walk(indexes, "desc", cursor, limit)

    def article_claims(self, aid: str, cursor: str | None = None, limit: int = 50) -> Page:
        """An article's claims in the order they appear in its text."""
        return self._walk([Keys.article_claims(aid)], "asc", cursor, limit)

    def _walk(self, indexes: list[str], direction: str, cursor: str | None, limit: int) -> Page:
        bound = "" if cursor is None else str(decode_cursor(cursor))
        ids, last, exhausted = self._page(keys=indexes, args=[direction, bound, limit, SCAN_BUDGET])
        items = self._claims(ids)
        next_cursor = None if int(exhausted) or last in (None, "") else encode_cursor(int(float(last)))
        return Page(items=items, next_cursor=next_cursor)

    def _claims(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(Keys.claim(cid))
            return [_claim(raw) for raw in pipe.execute() if raw]

    def update_verification(
        self,
        cid: str,
        *,
        status: str,
        note: str | None,
        evidence: Sequence[str],
        by: str,
        expected_versions: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """Set a claim's verification and append its history entry atomically.

        Raises NotFound for an unknown claim and VersionMismatch when ``expected_versions``
        is given and the current version is not among them, in which case nothing is written.
        """
        if not is_id("clm", cid):
            raise NotFound(cid)
        at = utcnow()
        entry = json.dumps({"to": status, "at": at, "by": by, "note": note, "evidence": list(evidence)})
        result = self._verify(
            keys=[Keys.claim(cid), Keys.history(cid), *(Keys.by_status(s) for s in VERIFICATION_STATUSES)],
            args=[
                "" if expected_versions is None else "," + ",".join(map(str, expected_versions)) + ",",
                status,
                note or "",
                json.dumps(list(evidence)),
                by,
                at,
                entry,
                cid,
                *VERIFICATION_STATUSES,
            ],
        )
        if result[0] == "missing":
            raise NotFound(cid)
        if result[0] == "stale":
            raise VersionMismatch(int(result[1]))
        flat = result[1]
        return _claim(dict(zip(flat[::2], flat[1::2])))

    def history(self, cid: str) -> list[dict[str, Any]] | None:
        """Verification changes, oldest first; None for an unknown claim."""
        if not is_id("clm", cid):
            return None
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(Keys.claim(cid))
            pipe.lrange(Keys.history(cid), 0, -1)
            exists, entries = pipe.execute()
        if not exists:
            return None
        return [json.loads(e) for e in entries]


    # -- managed API keys -----------------------------------------------------------------

    def add_api_key(self, name: str, roles: Sequence[str], secret_digest: str) -> dict[str, Any]:
        key_id = "key_" + secret_digest[:24]
        record = {"id": key_id, "name": name, "roles": "+".join(roles), "created_at": utcnow()}
        with self.redis.pipeline() as pipe:
            pipe.hset(Keys.api_key(secret_digest), mapping=record)
            pipe.hset(Keys.api_keys, key_id, secret_digest)
            pipe.execute()
        return _api_key(record)

    def find_api_key(self, secret_digest: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(Keys.api_key(secret_digest))
        return _api_key(raw) if raw else None

    def list_api_keys(self) -> list[dict[str, Any]]:
        digests = self.redis.hvals(Keys.api_keys)
        with self.redis.pipeline(transaction=False) as pipe:
            for d in digests:
                pipe.hgetall(Keys.api_key(d))
            return sorted((_api_key(raw) for raw in pipe.execute() if raw), key=lambda k: k["created_at"])

    def delete_api_key(self, key_id: str) -> bool:
        secret_digest = self.redis.hget(Keys.api_keys, key_id)
        if secret_digest is None:
            return False
        with self.redis.pipeline() as pipe:
            pipe.delete(Keys.api_key(secret_digest))
            pipe.hdel(Keys.api_keys, key_id)
            pipe.execute()
        return True


def _api_key(raw: Mapping[str, str]) -> dict[str, Any]:
    return {"id": raw["id"], "name": raw["name"], "roles": raw["roles"].split("+"), "created_at": raw["created_at"]}


def _epoch_ms(iso: str) -> int:
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


def _article(raw: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "title": _none(raw.get("title")),
        "url": _none(raw.get("url")),
        "source": _none(raw.get("source")),
        "published_at": _none(raw.get("published_at")),
        "external_id": _none(raw.get("external_id")),
        "text": raw.get("text", ""),
        "status": raw.get("status", "queued"),
        "error": _none(raw.get("error")),
        "claim_count": int(raw.get("claim_count") or 0),
        "attempts": int(raw.get("attempts") or 0),
        "created_at": raw.get("created_at"),
        "processed_at": _none(raw.get("processed_at")),
    }


def _claim(raw: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "article_id": raw["article_id"],
        "text": raw["text"],
        "type": raw["type"],
        "speaker": {
            "id": raw["speaker_id"],
            "name": raw["speaker_name"],
            "mention": raw.get("speaker_mention", ""),
            "title": _none(raw.get("speaker_title")),
            "kind": raw.get("speaker_kind") or "person",
        },
        "cue": raw.get("cue", ""),
        "span": {"start": int(raw["start"]), "end": int(raw["end"])},
        "confidence": float(raw.get("confidence") or 0.0),
        "verification": {
            "status": raw.get("status", "unverified"),
            "note": _none(raw.get("note")),
            "evidence": json.loads(raw.get("evidence") or "[]"),
            "updated_by": _none(raw.get("updated_by")),
            "updated_at": _none(raw.get("updated_at")),
        },
        "created_at": raw["created_at"],
        "version": int(raw["version"]),
    }
