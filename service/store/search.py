"""The word-search index (`ct:claims:word:*`), written after an article's claims, not with them.

Indexing a claim's words was most of an extraction's save: a 24-claim article's transaction
held about 160 of its 270 commands for them. Now the save only records the article in
`ct:search:pending` (one command, in its transaction), and `index_article` adds the words of
the article's claims afterwards, in a transaction of its own: the extraction job runs it right
after the save, and every extraction worker's maintenance pass runs it for articles left
pending (a job that died in between), so indexing resumes after any crash. An article's claims
have consecutive seqs, so each of its words is one SADD into one bucket (layout.py: a word's
index is bucketed, a set of small integers per 4,096 claims).

What a reader may see in between (usually milliseconds; at most a maintenance interval after a
crash): the new claims are listed by every filter but `q`; a search finds them once indexed.
Indexing is idempotent (SADD of the same entries), and WATCHes the article's claim list, so an
article taken down meanwhile leaves no word entries behind.
"""
from __future__ import annotations

import time

from redis.client import Pipeline

from . import records
from .connection import Connection
from .layout import Keys, bucket_entry
from .values import is_id
from .text import words


def index_article(conn: Connection, aid: str) -> int:
    """Put the search words of an article's claims into the word index and take the article
    off the pending list; returns how many claims were indexed."""
    if not conn.options.search_index or not is_id("art", aid):
        return 0  # CLAIMTRACK_SEARCH_INDEX=off keeps no word index

    def body(pipe: Pipeline) -> int:
        pipe.watch(Keys.article_claims(aid))
        ids = pipe.zrange(Keys.article_claims(aid), 0, -1)
        found = pipe.mget([Keys.claim(cid) for cid in ids]) if ids else []
        entries: dict[str, set[int]] = {}
        indexed = 0
        for cid, raw in zip(ids, found):
            if raw is None:
                continue
            fields = records.unpack_claim(cid, raw)
            indexed += 1
            for word in words(fields["text"]):
                key, offset = bucket_entry(Keys.by_word(word), fields["seq"])
                entries.setdefault(key, set()).add(offset)
        pipe.multi()
        for key, offsets in entries.items():
            pipe.sadd(key, *sorted(offsets))
        pipe.zrem(Keys.search_pending, aid)
        pipe.execute()
        return indexed

    return conn.transaction(body)


def pending(conn: Connection, older_than: float, limit: int = 200) -> list[str]:
    """Articles whose claims were saved more than `older_than` seconds ago and are not yet
    in the word index, oldest first."""
    cutoff = time.time() * 1000 - older_than * 1000
    return conn.redis.zrangebyscore(Keys.search_pending, "-inf", cutoff, start=0, num=limit)
