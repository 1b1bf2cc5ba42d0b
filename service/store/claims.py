"""Claims in Redis: saving an extraction job's claims, and reading them (one claim, filtered
lists, an article's claims).

A list walks the smallest index its filters name and only probes the others (the Lua in
`scripts.py`), within a budget per request, so that a page costs what the most selective
filter leaves and a cursor (a claim seq) stays valid while claims arrive. Each claim comes
with its article's reference fields, each article read once per page; its context needs the
article's whole text, so it is read only on request. Saving is `claim_saving.save_claims`;
the saved claims' search words follow in a step of their own (`search.py`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from redis.client import Pipeline
from redis.exceptions import NoScriptError

from . import reads, records, rules, search
from .base import Page
from .claim_page import ClaimPage, read_claim_page
from .claim_saving import save_claims
from .connection import Connection
from .events import Feed
from .layout import UNINDEXED_STATUS, Keys
from .values import claim_of_cluster, decode_cursor, epoch_ms, is_id, seq_of_claim


class ClaimRepository:
    """Claims: an extraction job's saved, and read one at a time or by the page."""

    def __init__(self, conn: Connection, feed: Feed) -> None:
        self.conn = conn
        self.redis = conn.redis
        self.feed = feed

    def save(self, aid: str, claims: Sequence[Mapping[str, Any]], revision: int | None = None,
             extractor_version: str | None = None) -> bool:
        """Store an article's extracted claims and mark it done, all or nothing, at most
        once per revision (`claim_saving.save_claims`)."""
        return save_claims(self.conn, self.feed.emitter(), aid, claims, revision, extractor_version)

    def index_words(self, aid: str) -> int:
        """The follow-up step of a save: its claims' search words (`search.index_article`)."""
        return search.index_article(self.conn, aid)

    def index_pending(self, older_than: float) -> list[str]:
        """Index the words of articles left pending for more than `older_than` seconds (a
        job that died between its save and its indexing); returns their ids."""
        done = search.pending(self.conn, older_than)
        for aid in done:
            search.index_article(self.conn, aid)
        return done

    def get(self, cid: str) -> dict[str, Any] | None:
        """A claim with its article and its context (the sentences that hold it)."""
        if not is_id("clm", cid):
            return None
        found = reads.claims(self.conn, [cid], context=True)
        return found[0] if found else None

    def get_queued(self, pipe: Pipeline, cid: str) -> Callable[[Sequence[Any]], dict[str, Any] | None]:
        """`get` queued on someone else's pipeline (the API's guard sends it in the round trip
        of its own checks, `auth.requires`); returns what makes the claim of the replies to
        what it queued."""
        if not is_id("clm", cid):
            return lambda replies: None
        if self.conn.cluster:  # no script to queue on a cluster (cluster_reads.py): read after
            return lambda replies: self.get(cid)
        reads.queue_claims(self.conn, pipe, [cid], context=True)

        def finish(replies: Sequence[Any]) -> dict[str, Any] | None:
            reply = replies[0]
            if isinstance(reply, NoScriptError):
                return self.get(cid)  # Redis restarted since the script was loaded: `get` loads it
            if isinstance(reply, Exception):
                raise reply
            found = reads.assemble([cid], *reply, context=True)
            return found[0] if found else None

        return finish

    def review_page(self, cid: str, limit: int, scan: int) -> ClaimPage | None:
        """A claim with everything the review console's claim page shows beside it, in at most
        four round trips (`claim_page.read_claim_page`); None for an unknown claim."""
        return read_claim_page(self.conn, cid, limit, scan)

    def list(self, **filters: Any) -> Page:
        """Claims newest first, filtered by every criterion given (AND); `list_queued` names
        the criteria."""
        with self.redis.pipeline(transaction=False) as pipe:
            finish = self.list_queued(pipe, **filters)
            replies = pipe.execute(raise_on_error=False)
        return finish(replies)

    def list_queued(
        self,
        pipe: Pipeline,
        *,
        status: str | None = None,
        claim_type: str | None = None,
        stance: str | None = None,
        speaker: str | None = None,
        speaker_id: str | None = None,
        article_id: str | None = None,
        cluster_id: str | None = None,
        assignee: str | None = None,
        unassigned: bool = False,
        query: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        include: frozenset[str] = frozenset(),
        cursor: str | None = None,
        limit: int = 50,
    ) -> Callable[[Sequence[Any]], Page]:
        """`list` with its page queued on `pipe` (someone else's round trip: the API sends it
        with its lockout check, `auth.read_checked`); returns what makes the page of the
        replies to what it queued. What the filters need first (a speaker's name, index sizes,
        a time range) is read before, in round trips of its own.

        Claims marked `not_a_claim` are left out unless that status is asked for or
        `include` holds "not_a_claim"; `include` holding "context" adds each claim's context.
        `assignee` keeps the claims assigned to that reviewer, `unassigned` those assigned to
        nobody (`assignments.py`).
        """
        empty: Callable[[Sequence[Any]], Page] = lambda replies: Page([], None)
        indexes: list[str] = []
        if article_id is not None:
            if not is_id("art", article_id):
                return empty
            indexes.append(Keys.article_claims(article_id))
        if speaker_id is not None:
            sid = reads.current_speaker(self.redis, speaker_id)
            if sid is None:
                return empty
            indexes.append(Keys.by_speaker(sid))
        if status is not None and status != UNINDEXED_STATUS:
            indexes.append(Keys.by_status(status))
        if claim_type is not None:
            indexes.append(Keys.by_type(claim_type))
        if stance is not None and stance != "asserts":
            indexes.append(Keys.by_stance(stance))
        if speaker is not None:
            named = reads.speaker_named(self.redis, speaker)
            indexes.append(Keys.by_speaker(named) if named else Keys.by_name(speaker))
        indexes += [Keys.by_word(w) for w in query]
        if assignee is not None:
            indexes.append(Keys.by_assignee(assignee))
        excluded = self._excluded(status, include, stance)
        if unassigned:
            excluded.append(Keys.assigned)
        low, high = self._seq_range(since, until)
        if low is not None and high is not None and low > high:
            return empty
        context = "context" in include
        if cluster_id is not None:
            if not is_id("cls", cluster_id):
                return empty
            if not self.redis.exists(Keys.cluster(cluster_id)):
                page = self._singleton_page(cluster_id, indexes, excluded, low, high, cursor, context)
                return lambda replies: page
            indexes.append(Keys.cluster_claims(cluster_id))
        indexes = reads.smallest_first(self.conn, indexes) if indexes else [Keys.claims]
        return reads.queue_walk(self.conn, pipe, indexes, "desc", cursor, limit, low=low, high=high,
                                excluded=excluded, context=context)

    @staticmethod
    def _excluded(status: str | None, include: frozenset[str], stance: str | None = None) -> list[str]:
        """Indexes whose claims a list leaves out: `not_a_claim` and superseded ones by
        default, and the denials and questions when only assertions are asked for."""
        excluded = []
        if status == UNINDEXED_STATUS:
            # Unverified claims are the ones in no status index: the union of those indexes,
            # one probe a claim (`reads.status_indexes`) rather than one per status.
            excluded.append(Keys.with_status)
        if status is None and rules.NOT_A_CLAIM not in include:
            excluded.append(Keys.by_status(rules.NOT_A_CLAIM))
        if "superseded" not in include:
            excluded.append(Keys.superseded)
        if stance == "asserts":
            excluded += [Keys.by_stance("denies"), Keys.by_stance("questions")]
        return excluded

    def _singleton_page(self, cluster_id: str, indexes: list[str], excluded: list[str], low: int | None,
                        high: int | None, cursor: str | None, context: bool) -> Page:
        """The one page of a one-claim cluster: its claim, if it passes the other filters."""
        if cursor is not None:
            decode_cursor(cursor)
            return Page([], None)
        cid = claim_of_cluster(cluster_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(Keys.claim(cid))
            for key in [Keys.claims] + indexes + excluded:
                reads.has_claim(pipe, key, cid)
            raw, listed, *scores = pipe.execute()
        seq = seq_of_claim(cid) if listed else None
        own_cluster = records.unpack_claim(cid, raw)["cluster_id"] if raw else None
        required, absent = scores[:len(indexes)], scores[len(indexes):]
        if own_cluster != cluster_id or seq is None or not all(score not in (None, 0) for score in required) \
                or any(score not in (None, 0) for score in absent):
            return Page([], None)
        if (low is not None and seq < low) or (high is not None and seq > high):
            return Page([], None)
        return Page(reads.claims(self.conn, [cid], context=context), None)

    def _seq_range(self, since: str | None, until: str | None) -> tuple[int | None, int | None]:
        """Claim seqs created in [since, until], from the per-save seq ranges."""
        low = high = None
        if since is not None:
            first = self.redis.zrangebyscore(Keys.seq_times, epoch_ms(since), "+inf", start=0, num=1)
            low = int(first[0].split(":")[0]) if first else 1 << 62
        if until is not None:
            last = self.redis.zrevrangebyscore(Keys.seq_times, epoch_ms(until), "-inf", start=0, num=1)
            high = int(last[0].split(":")[1]) if last else 0
        return low, high

    def of_article(self, aid: str, cursor: str | None = None, limit: int = 50,
                       include: frozenset[str] = frozenset()) -> Page:
        """An article's claims in the order they appear in its text (see `list` for
        what `include` adds)."""
        return reads.walk(self.conn, [Keys.article_claims(aid)], "asc", cursor, limit, excluded=self._excluded(None, include),
                          context="context" in include)

    def count(self) -> int:
        """How many claims the store holds (superseded ones too)."""
        return reads.index_size(self.conn, Keys.claims)

    def tombstone(self, cid: str) -> dict[str, Any] | None:
        """The tombstone of the taken-down article a claim belonged to, if it was taken down."""
        if not is_id("clm", cid):
            return None
        aid = self.redis.hget(Keys.deleted_claims, cid)
        raw = self.redis.hgetall(Keys.article(aid)) if aid else {}
        return records.tombstone(raw) if raw.get("deleted_at") else None
