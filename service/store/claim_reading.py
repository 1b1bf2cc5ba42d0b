"""Reading claims: one claim, filtered lists, an article's claims, a claim's history, and
the claims a writer is about to rewrite.

A mixin of `Store`. A list walks the smallest index its filters name and only probes the
others (the Lua in `scripts.py`), within a budget per request, so that a page costs what the
most selective filter leaves and a cursor (a claim seq) stays valid while claims arrive. Each
claim comes with its article's reference fields, each article read once per page; its context
needs the article's whole text, so it is read only on request.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from redis.client import Pipeline

from . import records, rules
from .base import SCAN_BUDGET, Page
from .layout import Keys, claim_of_cluster, decode_cursor, encode_cursor, epoch_ms, is_id
from .text import context_span

if TYPE_CHECKING:
    from .store import Store


class ClaimReadingStore:
    """Claims out of the store (mixed into `Store`)."""

    def get_claim(self: "Store", cid: str) -> dict[str, Any] | None:
        """A claim with its article and its context (the sentences that hold it)."""
        if not is_id("clm", cid):
            return None
        found = self._claims([cid], context=True)
        return found[0] if found else None

    def list_claims(
        self: "Store",
        *,
        status: str | None = None,
        claim_type: str | None = None,
        stance: str | None = None,
        speaker: str | None = None,
        speaker_id: str | None = None,
        article_id: str | None = None,
        cluster_id: str | None = None,
        query: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        include: frozenset[str] = frozenset(),
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Claims newest first, filtered by every criterion given (AND).

        Claims marked `not_a_claim` are left out unless that status is asked for or
        `include` holds "not_a_claim"; `include` holding "context" adds each claim's context.
        """
        indexes: list[str] = []
        if article_id is not None:
            if not is_id("art", article_id):
                return Page([], None)
            indexes.append(Keys.article_claims(article_id))
        if speaker_id is not None:
            sid = self._current_speaker(speaker_id)
            if sid is None:
                return Page([], None)
            indexes.append(Keys.by_speaker(sid))
        if status is not None:
            indexes.append(Keys.by_status(status))
        if claim_type is not None:
            indexes.append(Keys.by_type(claim_type))
        if stance is not None and stance != "asserts":
            indexes.append(Keys.by_stance(stance))
        if speaker is not None:
            named = self._speaker_named(speaker)
            indexes.append(Keys.by_speaker(named) if named else Keys.by_name(speaker))
        indexes += [Keys.by_word(w) for w in query]
        excluded = self._excluded(status, include, stance)
        low, high = self._seq_range(since, until)
        if low is not None and high is not None and low > high:
            return Page([], None)
        context = "context" in include
        if cluster_id is not None:
            if not is_id("cls", cluster_id):
                return Page([], None)
            if not self.redis.exists(Keys.cluster(cluster_id)):
                return self._singleton_page(cluster_id, indexes, excluded, low, high, cursor, context)
            indexes.append(Keys.cluster_claims(cluster_id))
        indexes = self._smallest_first(indexes) if indexes else [Keys.claims]
        return self._walk(indexes, "desc", cursor, limit, low=low, high=high, excluded=excluded, context=context)

    @staticmethod
    def _excluded(status: str | None, include: frozenset[str], stance: str | None = None) -> list[str]:
        """Indexes whose claims a list leaves out: `not_a_claim` and superseded ones by
        default, and the denials and questions when only assertions are asked for."""
        excluded = []
        if status is None and rules.NOT_A_CLAIM not in include:
            excluded.append(Keys.by_status(rules.NOT_A_CLAIM))
        if "superseded" not in include:
            excluded.append(Keys.superseded)
        if stance == "asserts":
            excluded += [Keys.by_stance("denies"), Keys.by_stance("questions")]
        return excluded

    def _singleton_page(self: "Store", cluster_id: str, indexes: list[str], excluded: list[str], low: int | None,
                        high: int | None, cursor: str | None, context: bool) -> Page:
        """The one page of a one-claim cluster: its claim, if it passes the other filters."""
        if cursor is not None:
            decode_cursor(cursor)
            return Page([], None)
        cid = claim_of_cluster(cluster_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(Keys.claim(cid))
            pipe.zscore(Keys.claims, cid)
            for key in indexes + excluded:
                pipe.zscore(key, cid)
            raw, seq, *scores = pipe.execute()
        own_cluster = records.unpack_claim(cid, raw)["cluster_id"] if raw else None
        required, absent = scores[:len(indexes)], scores[len(indexes):]
        if own_cluster != cluster_id or seq is None or any(score is None for score in required) \
                or any(score is not None for score in absent):
            return Page([], None)
        if (low is not None and seq < low) or (high is not None and seq > high):
            return Page([], None)
        return Page(self._claims([cid], context=context), None)

    def _seq_range(self: "Store", since: str | None, until: str | None) -> tuple[int | None, int | None]:
        """Claim seqs created in [since, until], from the per-save seq ranges."""
        low = high = None
        if since is not None:
            first = self.redis.zrangebyscore(Keys.seq_times, epoch_ms(since), "+inf", start=0, num=1)
            low = int(first[0].split(":")[0]) if first else 1 << 62
        if until is not None:
            last = self.redis.zrevrangebyscore(Keys.seq_times, epoch_ms(until), "-inf", start=0, num=1)
            high = int(last[0].split(":")[1]) if last else 0
        return low, high

    def article_claims(self: "Store", aid: str, cursor: str | None = None, limit: int = 50,
                       include: frozenset[str] = frozenset()) -> Page:
        """An article's claims in the order they appear in its text (see `list_claims` for
        what `include` adds)."""
        return self._walk([Keys.article_claims(aid)], "asc", cursor, limit, excluded=self._excluded(None, include),
                          context="context" in include)

    def _walk(self: "Store", indexes: list[str], direction: str, cursor: str | None, limit: int,
              low: int | None = None, high: int | None = None, excluded: Sequence[str] = (),
              context: bool = False) -> Page:
        bound = "" if cursor is None else decode_cursor(cursor)
        if direction == "desc":
            if high is not None and (bound == "" or int(bound) > high):
                bound = str(high + 1)
            stop = "" if low is None else str(low)
        else:
            stop = ""
        ids, last, exhausted = self._page(keys=[*indexes, *excluded],
                                          args=[direction, bound, limit, SCAN_BUDGET, stop, len(excluded)])
        items = self._claims(ids, context=context)
        next_cursor = None if int(exhausted) or last in (None, "") else encode_cursor(int(float(last)))
        return Page(items=items, next_cursor=next_cursor)

    def _claims(self: "Store", ids: Iterable[str], context: bool = False) -> list[dict[str, Any]]:
        """Claims by id, each with its article (read once per article), and with its context
        when asked: that reads the article's text, so list pages only do it on request."""
        ids = list(ids)
        found = self.redis.mget([Keys.claim(cid) for cid in ids]) if ids else []
        claims = [records.unpack_claim(cid, raw) for cid, raw in zip(ids, found) if raw]
        if not claims:
            return []
        aids = list(dict.fromkeys(c["article_id"] for c in claims))
        wanted = records.ARTICLE_REF_FIELDS + (("text",) if context else ())
        with self.redis.pipeline(transaction=False) as pipe:
            for aid in aids:
                pipe.hmget(Keys.article(aid), wanted)
            articles = dict(zip(aids, pipe.execute()))
        out = []
        for fields in claims:
            values = articles[fields["article_id"]]
            text = None
            if context:
                article_text = values[-1] or ""
                if article_text[fields["start"]:fields["end"]] == fields["text"]:
                    first, last = context_span(article_text, fields["start"], fields["end"])
                    text = article_text[first:last]
                else:
                    text = fields["text"]
            out.append(records.claim(fields, records.article_ref(fields["article_id"], values), text))
        return out

    def history(self: "Store", cid: str) -> list[dict[str, Any]] | None:
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

    @staticmethod
    def _watch_claims(pipe: Pipeline, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Claims about to be rewritten, read after WATCHing them, so that a verdict set
        meanwhile makes the rewrite start again instead of being overwritten."""
        if not ids:
            return {}
        keys = [Keys.claim(cid) for cid in ids]
        pipe.watch(*keys)
        return {cid: records.unpack_claim(cid, raw) for cid, raw in zip(ids, pipe.mget(keys)) if raw}
