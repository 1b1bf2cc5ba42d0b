"""The Redis key layout and the vocabulary of the stored values.

All keys start with ``ct:``. Ids (values.py) are checked by shape before they reach a
key name; anything a client writes (names, URLs, external ids) reaches a key only through a
hash digest. So nothing in an article or a request can shape, collide with or inject into a key.

==========================================  ======  ============================================
key                                         type    holds
==========================================  ======  ============================================
ct:article:{aid}                            hash    article record: text, status, error, counts,
                                                    revision, extractor version, id of its
                                                    latest extraction job; once taken down only
                                                    a tombstone (deleted_at, _by)
ct:article:{ct:article:<aid>}:claims        zset    its claim ids (superseded ones too), score =
                                                    claim seq
ct:article:{ct:article:<aid>}:revisions     list    one JSON entry per revision (no text)
ct:article:{ct:article:<aid>}:text:<rev>    string  an earlier revision's text (expires)
ct:article:{ct:article:<aid>}:corrections   hash    claim id -> JSON: the fields reviewers corrected,
                                                    the extractor's original reading, the origin
                                                    (corrections.py; re-extraction reads it)
ct:article:{ct:article:<aid>}:history       list    reviewers' marks on the article ("reviewed"),
                                                    oldest first (JSON)
ct:articles:reviewed                        zset    ids of articles marked reviewed, score = when
                                                    marked (ms)
ct:articles:corrected                       zset    ids of articles with corrected or added claims,
                                                    score = when last corrected (ms)
ct:articles/{articles/<n>}                  zset    article ids, score = listing score (creation
                                                    ms x 1000 + a per-ms counter: unique); a
                                                    sharded index (below), shard n of 16
ct:articles:pending                         zset    ids of articles queued or processing, score =
                                                    when they last became so (ms); entries of
                                                    finished articles are dropped by reconciliation
ct:articles:status:{status}/{...}           zset    article ids by status, same score (sharded)
ct:articles:source:{sha256}                 zset    article ids by source, same score
ct:articles:url:{sha256}                    zset    article ids by url, same score
ct:seq:articles                             string  counter for the listing score's tie-breaker
ct:claims:superseded/{...}                  zset    claim ids no longer in their article's text,
                                                    score = seq (sharded)
ct:claims:deleted                           hash    claim id -> its taken-down article's id
ct:reextract:{name}                         string  listing score a bulk re-extraction reached
ct:dedup:{ext|url|idem}:{sha256}            string  article id of an external_id, a (url, text)
                                                    pair, or an Idempotency-Key (with TTL)
ct:claim:{cid}                              string  claim record, verification included, as one
                                                    JSON array (field order in records.py)
ct:claim:{ct:claim:<cid>}:history           list    verification changes, oldest first (JSON)
ct:claims:all:{bucket}                      set     every claim (bucketed index, below)
ct:claims:status:{status}/{...}             zset    claim ids by verification status (sharded),
                                                    but for `unverified` (most claims, the
                                                    default): an unverified claim is in no
                                                    status index
ct:claims:with-status:{bucket}              set     every claim whose status is not `unverified`
                                                    (bucketed index, below): the union of the
                                                    status indexes, which the default review
                                                    queue (`status=unverified`) leaves out with
                                                    one SISMEMBER a claim instead of nine probes
ct:claims:type:{type}:{bucket}              set     claims by type (bucketed index, below)
ct:claims:stance:{denies|questions}/{...}   zset    claim ids by stance (the rest assert; sharded)
ct:claims:name:{sha256}                     zset    claim ids of unnamed sources, by description
ct:claims:speaker:{ct:speaker:<sid>}        zset    claim ids by registry speaker
ct:claims:assigned                          zset    ids of assigned claims, score = claim seq
ct:claims:assignee:{sha256}                 zset    one reviewer's assigned claim ids, by seq
ct:claims:word:{sha256[:16]}:{bucket}       set     the claims whose text has the word (search;
                                                    only while CLAIMTRACK_SEARCH_INDEX is on),
                                                    written after the claims (search.py): a
                                                    bucketed index (below), bucket = seq // 4096,
                                                    members = seq % 4096
ct:search:pending                           zset    ids of articles whose saved claims are not in
                                                    the word index yet, score = when saved (ms)
ct:seq:claims                               string  counter that gives each claim its seq
ct:seq:times                                zset    "first:last" seq of each save, score = ms
ct:speaker:{sid}                            hash    speaker: name, kind, counts, first/last seen
ct:speaker:{ct:speaker:<sid>}:aliases       set     other names the speaker appeared under
ct:speaker:{ct:speaker:<sid>}:titles        set     titles and roles seen with the speaker
ct:signature:{sha256[:24]}                  string  ids of the clusters of a speaker's claims with
                                                    one signature (stance + normalised text),
                                                    named by a digest of (speaker id, signature)
                                                    so that a save reads and writes all of its
                                                    claims' entries in one MGET and one MSET
ct:speakers:name:{sha256}                   string  speaker id of a normalised name or alias
ct:speakers:surname:{sha256}                hash    people with that surname: sid -> name
ct:speakers:search                          zset    "normalised name\\0sid", for prefix search
ct:cluster:{clsid}                          hash    a cluster of 2+ claims and its verdict
ct:cluster:{ct:cluster:<clsid>}:claims      zset    its claim ids, score = seq
ct:cluster:{ct:cluster:<clsid>}:log         list    who linked or split which claim, and when
ct:schema                                   string  version of this layout the data is in
ct:events                                   stream  the change feed (time-limited retention)
ct:webhook:{wid}                            hash    webhook: url, event types, secret
ct:webhooks                                 set     webhook ids
ct:webhook:{wid}:deliveries                 list    delivery attempts, newest first (capped)
ct:webhook:{wid}:pause                      hash    while its receiver times out: consecutive
                                                    timeouts, and until when deliveries wait
ct:webhook:{wid}:probe                      string  the one delivery trying a paused receiver
                                                    again (with an expiry)
ct:apikey:{sha256 of secret}                hash    a managed API key: id, name, roles
ct:apikeys                                  hash    managed key id -> sha256 of its secret
ct:console:session:{sha256 of session id}   string  a review-console session (JSON: user, roles,
                                                    key digest, CSRF token), with an expiry
ct:console:secret                           string  signs the console's CSRF tokens
ct:copy:progress                            hash    on the target of `copy-store` only: where the
                                                    copy's scan of the source stopped (copy.py)
==========================================  ======  ============================================

On a Redis Cluster only (cross_slot.py), beside every key above, for a transaction that spans
hash slots; each in the slot of the key it concerns (`slot_tag`):

==========================================  ======  ============================================
ct:lock:{key}                               string  the id of the transaction that holds `key`
                                                    (what WATCH is on one server), with a lease
ct:ticket:{key}:{txid}                      string  that the writes of transaction `txid` to this
                                                    key's slot are still to be applied (deleted by
                                                    the script that applies them)
ct:{intents}:tx:{txid}                      string  a cross-slot transaction's writes, grouped by
                                                    slot (JSON), until every group is applied
ct:{intents}:index                          zset    txids of those, score = when written (ms)
==========================================  ======  ============================================

Keys that belong to one record (an article's claims, revisions, earlier texts, corrections and
marks; a claim's history; a speaker's aliases, titles and claim index; a cluster's claims and
log) are named with the record's own key as their hash tag (`beside`): on a Redis Cluster,
Redis places a key by the text between its first ``{`` and ``}``, so each of them is in the slot
of the record, whose key has no tag and is placed by its whole name. A transaction on one record
and what belongs to it then stays in one slot (one MULTI/EXEC on a cluster too, cross_slot.py),
and the records keep the names their ids give them, so that nothing reads a second key to find
where a record is. (Schema 5 and before named them ``ct:article:<aid>:claims`` and so on:
migrate.py moves them.) On one server a tag is only part of the name.

A sharded index (the claims by status, by stance and superseded; the articles, and by status)
is named by a prefix ending in ``/`` (`is_sharded`) and kept as `SHARDS` sorted sets: an entry
of score ``s`` (a claim's seq, an article's listing score) is in shard ``s mod 16``, the key
``<prefix>{<prefix less "ct:"><n>}``, e.g. ``ct:claims:status:true/{claims:status:true/3}``:
each shard is tagged with its index and its number, so that on a Redis Cluster every shard is a
slot of its own and the index's writes spread over the masters instead of all landing on one
(every save writes the article listings, and most write a status, stance or superseded index).
Finding an entry's shard needs nothing but its score, so adding, removing and probing one is
one command, as on one sorted set; a page reads each shard below its cursor and merges them by
score (scripts.py, cluster_reads.py). Sixteen: more than the masters a store of this size runs
(3 to 16), few enough that a page of a selective filter reads 16 short ranges. The same layout
on one server (one layout to reason about, test and migrate; a page's merge costs it little:
docs/scaling.md). Schema 6 and before kept each as one sorted set, named by the prefix without
its ``/`` (`unsharded`; migrate.py moves them).

A bucketed index (every claim, by type, by search word, and those with a status) is named by
a prefix ending in ``:`` and kept as one set per 4,096 claim seqs (`WORD_BUCKET`): bucket ``n``
holds ``seq - n * 4096`` of each of its claims. Small integers are what Redis stores most
compactly (an intset: 2 bytes a member, against about 100 for a member of a large sorted set),
and the scripts that walk indexes (scripts.py) read a bucket in seq order (a dense one by
probing seq after seq) and probe it with SISMEMBER. The first three were most of the store's
memory as sorted sets of claim ids; the indexes that stay sorted sets are small per key (an
article's, a cluster's, a speaker's) or hold few claims (statuses, stances, superseded). The
claims with a status (schema 8) are the union of the status indexes, kept as the one index the
default review queue (`status=unverified`) probes to leave them out.

A claim's ``seq`` is unique and grows with creation, so every claim index sorted by score is
in creation order, and a cursor (the last seq seen) stays valid while new claims arrive. A
claim's id is its seq in base 36 (``clm_2s1f``): unique by construction and short, which
matters because every index holds it once per claim. A claim and every index entry that points
to it are written in one MULTI/EXEC, so a reader never sees one without the other; the one
exception is the search-word index, written by a follow-up step (search.py), so that a new claim
is found by `q` a moment after it is listed.

A cluster of one claim has no keys of its own: its id is the claim's id with ``cls_`` in place
of ``clm_``, and its keys are written when a second claim joins it. A claim a verifier splits
out of a cluster whose id is already its own gets a new id from the claim counter (so it is
never another claim's id) and keys of its own at once.
"""
from __future__ import annotations

from .values import digest, normalize_name

PREFIX = "ct"

ARTICLE_STATUSES = ("queued", "processing", "done", "failed")
#: A revision's text is kept this long after it was replaced (`CLAIMTRACK_REVISION_RETENTION_DAYS`).
REVISION_RETENTION = 365 * 24 * 3600
CLAIM_TYPES = ("direct", "indirect", "mixed")
#: Who a claim's speaker is; the first two are the kinds the registry links across articles.
SPEAKER_KINDS = ("person", "organization", "unnamed", "unknown")
#: The status no index holds (ct:claims:status:*): a claim in none of them has it.
UNINDEXED_STATUS = "unverified"
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
    "not_a_claim",
)
#: Statuses that are a verdict on what was said (ClaimReview can be produced). `not_a_claim`
#: is a verdict on the extraction instead: the text is not a claim, or not this speaker's.
VERDICTS = VERIFICATION_STATUSES[2:-1]
#: What a speaker did with a claim's words (see workers/extraction/stance.py).
STANCES = ("asserts", "denies", "questions")
#: Who found a claim: the extractor, or a reviewer who added one it missed (corrections.py).
ORIGINS = ("extractor", "reviewer")
#: What a reviewer may correct on a claim; a corrected field is the reviewer's from then on.
CORRECTABLE = ("speaker", "span", "stance", "type")
EVENT_TYPES = (
    "article.queued",
    "article.done",
    "article.failed",
    "claim.created",
    "claim.verification_changed",
    "claim.linked",
    "claim.split",
    "claim.superseded",
    "article.revised",
    "article.deleted",
    "speaker.merged",
    "claim.corrected",
    "claim.assigned",
    "article.reviewed",
)


#: Claim seqs per bucket of a bucketed index (see the layout above). Offsets in a bucket stay
#: below 2**15, so Redis keeps a bucket as an intset of 16-bit integers as long as it holds no
#: more than `set-max-intset-entries` members (scripts/redis.conf sets 4096: every bucket; at
#: Redis's default, 512, a bucket past 512 members is a hash table, about 50 bytes a member).
WORD_BUCKET = 4096


def is_bucketed(index: str) -> bool:
    """Whether `index` names a bucketed index (by its prefix) rather than a sorted set."""
    return index.endswith(":")


def bucket_entry(index: str, seq: int) -> tuple[str, int]:
    """The bucket key of bucketed index `index` that holds claim `seq`, and its member there."""
    bucket, offset = divmod(seq, WORD_BUCKET)
    return f"{index}{bucket}", offset


#: Shards of a sharded index (see the layout above).
SHARDS = 16


def is_sharded(index: str) -> bool:
    """Whether `index` names a sharded index (by its prefix) rather than a sorted set."""
    return index.endswith("/")


def shard_of(score: float | int | str) -> int:
    """The shard that holds an entry of `score` (a claim's seq, an article's listing score)."""
    return int(float(score)) % SHARDS


def shard_key(index: str, shard: int) -> str:
    """Shard `shard` of sharded index `index`, tagged with the index's name and the shard's
    number, so that on a cluster each shard is placed on its own."""
    return f"{index}{{{index[len(PREFIX) + 1:]}{shard}}}"


def shard_keys(index: str) -> list[str]:
    """Every shard of sharded index `index`, in shard order."""
    return [shard_key(index, n) for n in range(SHARDS)]


def unsharded(index: str) -> str:
    """Schema 6's name of sharded index `index`: one sorted set (migrate.py moves it)."""
    return index[:-1]


def slot_tag(key: str) -> str:
    """What Redis Cluster hashes to place `key`: its hash tag (the text between the first
    ``{`` and the next ``}``, when not empty), else the whole key. Keys with the same tag are
    in the same slot."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key


def beside(record: str, suffix: str) -> str:
    """The key named `suffix` that belongs to the record at key `record`, in its family (the
    first two parts of `record`) and in its hash slot (`record` as the hash tag)."""
    family = ":".join(record.split(":")[:2])
    return f"{family}:{{{record}}}:{suffix}"


class Keys:
    """Key names, in one place so that the layout above is the whole truth."""

    #: Every article (sharded).
    articles = f"{PREFIX}:articles/"
    pending = f"{PREFIX}:articles:pending"
    #: Every claim: a bucketed index.
    claims = f"{PREFIX}:claims:all:"
    #: Every claim in a status index, that is not unverified (`reads.status_indexes`): bucketed.
    with_status = f"{PREFIX}:claims:with-status:"
    #: Schema 4 and before: every claim id in one sorted set (migrate.py moves it).
    claims_v4 = f"{PREFIX}:claims"
    claim_seq = f"{PREFIX}:seq:claims"
    seq_times = f"{PREFIX}:seq:times"
    speaker_search = f"{PREFIX}:speakers:search"
    schema = f"{PREFIX}:schema"
    article_seq = f"{PREFIX}:seq:articles"
    #: The superseded claims (sharded).
    superseded = f"{PREFIX}:claims:superseded/"
    deleted_claims = f"{PREFIX}:claims:deleted"
    events = f"{PREFIX}:events"
    webhooks = f"{PREFIX}:webhooks"
    api_keys = f"{PREFIX}:apikeys"
    console_secret = f"{PREFIX}:console:secret"
    search_pending = f"{PREFIX}:search:pending"
    reviewed = f"{PREFIX}:articles:reviewed"
    corrected_articles = f"{PREFIX}:articles:corrected"
    assigned = f"{PREFIX}:claims:assigned"

    @staticmethod
    def corrections(aid: str) -> str:
        return beside(Keys.article(aid), "corrections")

    @staticmethod
    def article_history(aid: str) -> str:
        return beside(Keys.article(aid), "history")

    @staticmethod
    def by_assignee(name: str) -> str:
        """A reviewer's assigned claims, named by a digest: a key name never holds a user name."""
        return f"{PREFIX}:claims:assignee:{digest(name)[:32]}"

    copy_progress = f"{PREFIX}:copy:progress"

    intents = f"{PREFIX}:{{intents}}:index"

    @staticmethod
    def intent(txid: str) -> str:
        return f"{PREFIX}:{{intents}}:tx:{txid}"

    @staticmethod
    def lock(key: str) -> str:
        """The lock of `key` on a cluster, in `key`'s slot."""
        return f"{PREFIX}:lock:{{{slot_tag(key)}}}" + (f":{key}" if slot_tag(key) != key else "")

    @staticmethod
    def ticket(key: str, txid: str) -> str:
        """That transaction `txid`'s writes to `key`'s slot are still to be applied, in that slot."""
        return f"{PREFIX}:ticket:{{{slot_tag(key)}}}:{txid}"

    @staticmethod
    def article(aid: str) -> str:
        return f"{PREFIX}:article:{aid}"

    @staticmethod
    def article_claims(aid: str) -> str:
        return beside(Keys.article(aid), "claims")

    @staticmethod
    def revisions(aid: str) -> str:
        return beside(Keys.article(aid), "revisions")

    @staticmethod
    def revision_text(aid: str, revision: int) -> str:
        return beside(Keys.article(aid), f"text:{int(revision)}")

    @staticmethod
    def reextract_cursor(name: str) -> str:
        return f"{PREFIX}:reextract:{digest(name)[:32]}"

    @staticmethod
    def articles_by_status(status: str) -> str:
        """Articles in a status: a sharded index."""
        return f"{PREFIX}:articles:status:{status}/"

    @staticmethod
    def articles_by_source(source: str) -> str:
        return f"{PREFIX}:articles:source:{digest(source)[:32]}"

    @staticmethod
    def articles_by_url(url: str) -> str:
        return f"{PREFIX}:articles:url:{digest(url)[:32]}"

    @staticmethod
    def dedup(kind: str, fingerprint: str) -> str:
        return f"{PREFIX}:dedup:{kind}:{fingerprint}"

    @staticmethod
    def claim(cid: str) -> str:
        return f"{PREFIX}:claim:{cid}"

    @staticmethod
    def history(cid: str) -> str:
        return beside(Keys.claim(cid), "history")

    @staticmethod
    def by_status(status: str) -> str:
        """Claims in a status: a sharded index."""
        return f"{PREFIX}:claims:status:{status}/"

    @staticmethod
    def by_type(claim_type: str) -> str:
        """Claims of a type: a bucketed index."""
        return f"{PREFIX}:claims:type:{claim_type}:"

    @staticmethod
    def by_type_v4(claim_type: str) -> str:
        """Schema 4 and before: claims of a type in one sorted set (migrate.py moves it)."""
        return f"{PREFIX}:claims:type:{claim_type}"

    @staticmethod
    def by_stance(stance: str) -> str:
        """Claims of a stance: a sharded index."""
        return f"{PREFIX}:claims:stance:{stance}/"

    @staticmethod
    def by_name(name: str) -> str:
        return f"{PREFIX}:claims:name:{digest(normalize_name(name))[:32]}"

    @staticmethod
    def by_speaker(sid: str) -> str:
        """A speaker's claims: in the claim indexes' family, in the speaker's slot."""
        return f"{PREFIX}:claims:speaker:{{{Keys.speaker(sid)}}}"

    @staticmethod
    def by_word(word: str) -> str:
        """A search word's index, a bucketed one (its prefix: `bucket_entry` names its keys),
        named by a digest: article words never become key names."""
        return f"{PREFIX}:claims:word:{digest(word)[:16]}:"

    @staticmethod
    def word_index_v4(word: str) -> str:
        """Schema 4 and before: a search word's index as one sorted set (migrate.py drops it)."""
        return f"{PREFIX}:claims:word:{digest(word)[:16]}"

    @staticmethod
    def speaker(sid: str) -> str:
        return f"{PREFIX}:speaker:{sid}"

    @staticmethod
    def speaker_aliases(sid: str) -> str:
        return beside(Keys.speaker(sid), "aliases")

    @staticmethod
    def speaker_titles(sid: str) -> str:
        return beside(Keys.speaker(sid), "titles")

    @staticmethod
    def speaker_clusters(sid: str) -> str:
        """Schema 3 and before: a speaker's signature table as one hash (migrate.py reads it)."""
        return f"{PREFIX}:speaker:{sid}:clusters"

    @staticmethod
    def signature(sid: str, signature: str) -> str:
        """The clusters of speaker `sid`'s claims with `signature` (`text.claim_signature`)."""
        return f"{PREFIX}:signature:{digest(sid, signature)[:24]}"

    @staticmethod
    def speaker_name(norm: str) -> str:
        return f"{PREFIX}:speakers:name:{digest(norm)[:32]}"

    @staticmethod
    def surname(norm_surname: str) -> str:
        return f"{PREFIX}:speakers:surname:{digest(norm_surname)[:32]}"

    @staticmethod
    def cluster(clsid: str) -> str:
        return f"{PREFIX}:cluster:{clsid}"

    @staticmethod
    def cluster_claims(clsid: str) -> str:
        return beside(Keys.cluster(clsid), "claims")

    @staticmethod
    def cluster_log(clsid: str) -> str:
        return beside(Keys.cluster(clsid), "log")

    @staticmethod
    def webhook(wid: str) -> str:
        return f"{PREFIX}:webhook:{wid}"

    @staticmethod
    def deliveries(wid: str) -> str:
        return f"{PREFIX}:webhook:{wid}:deliveries"

    @staticmethod
    def webhook_pause(wid: str) -> str:
        return f"{PREFIX}:webhook:{wid}:pause"

    @staticmethod
    def webhook_probe(wid: str) -> str:
        return f"{PREFIX}:webhook:{wid}:probe"

    @staticmethod
    def api_key(secret_digest: str) -> str:
        return f"{PREFIX}:apikey:{secret_digest}"

    @staticmethod
    def console_session(session_digest: str) -> str:
        return f"{PREFIX}:console:session:{session_digest}"
