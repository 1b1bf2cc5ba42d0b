"""The Lua readers of `scripts.py`, as Python over a Redis Cluster.

On one server a list page (`scripts.PAGE`) and a read of claims with their articles
(`scripts.READ_CLAIMS`) are one script each, one round trip. A script on a cluster may only
touch keys of one slot, and a page's indexes, claims and articles are in many. These objects are
called exactly like the registered scripts (`keys=`, `args=`, the same ARGV and the same reply),
so `reads.py` does not know which it has; each round of the walk is one round trip, one packet
per master (`fanout`). What a page returns is what the script returns for the same data; unlike
the script, a page is not one snapshot (claims saved while it is read may or may not be on it,
as with a page read a moment earlier or later).

A page is mostly two round trips: the index (its shards, or a window of its newest bucket with
the claim counter, `_Walk._newest`), then the filters and exclusions with the records and their
articles (`read_claims`: the articles of claims read before are known). The first page of
claims this process has not seen takes one more, for their articles.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from redis import RedisCluster

from . import sharded
from .fanout import fanout, flags
from .layout import SHARDS, WORD_BUCKET, Keys, is_bucketed, is_sharded, shard_keys
from .values import claim_id

_ARTICLE_ID = re.compile(r'^\["([^"]+)"')
#: Buckets of a bucketed index read per round trip while walking it: one at first (a page of a
#: dense index, every claim or a type, is in the newest bucket), twice as many each trip after,
#: up to this many (a sparse one's page may need many buckets).
_BUCKETS_PER_TRIP = 16
#: A window of seqs of a bucketed index holding more than 1 in this many is probed seq by seq
#: (`_Walk._probe_window`), as the page script walks a dense bucket.
_DENSE = 8
#: Claims saved since the last page read the counter that the next newest page's first round
#: trip still covers (`_Walk._newest`).
_AHEAD = 32
#: Claims whose article a process remembers (`articles_of`).
_KNOWN = 50_000


def top_seq(client: RedisCluster, counter: str) -> int:
    return int(fanout(client, [("GET", counter)])[0] or 0)


class Sizes:
    """`scripts.SIZES`: the size of each index in KEYS (ZCARD, or the members of all of a
    bucketed index's buckets); ARGV[1] is the claim seq counter's key."""

    def __init__(self, client: RedisCluster) -> None:
        self.client = client

    def __call__(self, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> list[int]:
        top = top_seq(self.client, str(args[0])) if any(is_bucketed(k) for k in keys) else 0
        commands: list[tuple[str, str]] = []
        counts = []
        for key in keys:
            if is_bucketed(key):
                buckets = range(top // WORD_BUCKET + 1)
                commands += [("SCARD", f"{key}{bucket}") for bucket in buckets]
                counts.append(len(buckets))
            elif is_sharded(key):
                commands += [("ZCARD", shard) for shard in shard_keys(key)]
                counts.append(SHARDS)
            else:
                commands.append(("ZCARD", key))
                counts.append(1)
        return sharded.span_totals(fanout(self.client, commands), counts)


def read_claims(client: RedisCluster, ids: Sequence[str], claim_prefix: str, article_prefix: str,
                fields: Sequence[str], read: dict[str, Any] | None = None,
                articles_read: dict[str, Any] | None = None) -> tuple[list[Any], list[str], list[list[Any]]]:
    """`scripts._READ_CLAIMS`: the records (None where missing), the distinct article ids in
    order of first appearance, and each one's HMGET of `fields`. `read`: records already read,
    by id (a page's, `Page`); `articles_read`: articles' fields already read, by id.

    A claim's article is in its record, so on a cluster the articles would take a round trip
    after the records'. The article of a claim never changes, so the articles of the claims
    this process has read before (`articles_of`) are read in the records' round trip; an
    article that was not guessed (a claim not seen yet, or a guess that its record belies: a
    store emptied and filled again) is read in one more."""
    if not ids:
        return [], [], []
    known = articles_of(client)
    articles = dict(articles_read or {})
    if read is not None and all(cid in read for cid in ids):
        records = [read[cid] for cid in ids]
    else:
        guessed = guesses(known, ids, articles)
        replies = fanout(client, [("GET", claim_prefix + cid) for cid in ids]
                         + [("HMGET", article_prefix + aid, *fields) for aid in guessed])
        records = replies[:len(ids)]
        articles.update(zip(guessed, replies[len(ids):]))
    aids = remember(known, ids, records)
    missing = [aid for aid in aids if aid not in articles]
    if missing:
        articles.update(zip(missing, fanout(client, [("HMGET", article_prefix + aid, *fields) for aid in missing])))
    return records, aids, [articles[aid] for aid in aids]


def _article_of_index(index: str, article_prefix: str) -> list[str]:
    """[the article] when `index` is an article's claims (its hash tag is the article's key),
    whose page shows that article: read with the records, even where no claim is known."""
    if not index.endswith("}:claims") or "{" + article_prefix not in index:
        return []
    aid = index[index.index("{") + 1 + len(article_prefix):-len("}:claims")]
    return [aid] if index == Keys.article_claims(aid) and article_prefix == Keys.article("") else []


def articles_of(client: RedisCluster) -> dict[str, str]:
    """The article of each claim this process has read lately, by claim id: about 100 bytes a
    claim, forgotten all at once past `_KNOWN` claims."""
    known = getattr(client, "_claim_articles", None)
    if known is None or len(known) > _KNOWN:
        known = {}
        client._claim_articles = known  # type: ignore[attr-defined]
    return known


def guesses(known: dict[str, str], ids: Sequence[str], read: dict[str, Any]) -> list[str]:
    """The distinct articles that `known` gives for `ids`, less those already `read`."""
    guessed: dict[str, None] = {}
    for cid in ids:
        aid = known.get(cid)
        if aid is not None and aid not in read:
            guessed[aid] = None
    return list(guessed)


def remember(known: dict[str, str], ids: Sequence[str], records: Sequence[Any]) -> list[str]:
    """The distinct article ids of `records` (of claims `ids`), in order of first appearance;
    each claim's is kept in `known`."""
    aids: dict[str, None] = {}
    for cid, raw in zip(ids, records):
        if raw:
            found = _ARTICLE_ID.match(raw)
            if found:
                aid = known[cid] = found.group(1)
                aids[aid] = None
    return list(aids)


class ReadClaims:
    """`scripts.READ_CLAIMS` (ARGV: claim prefix, article prefix, article fields, "--", ids)."""

    def __init__(self, client: RedisCluster) -> None:
        self.client = client

    def __call__(self, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> list[Any]:
        args = [str(a) for a in args]
        split = args.index("--")
        records, aids, articles = read_claims(self.client, args[split + 1:], args[0], args[1], args[2:split])
        return [records, aids, articles]


class Page:
    """`scripts.PAGE`: walk KEYS[1] by score from an exclusive bound towards an inclusive stop,
    keeping members present in every other index but the last `excluded`, where they must be
    absent; at most `limit` matches and `budget` members examined."""

    def __init__(self, client: RedisCluster) -> None:
        self.client = client
        #: The claim counter's value last read, by counter key (`_Walk._newest`): shared by the
        #: threads of a process, each page reading the counter again anyway.
        self.tops: dict[str, int] = {}

    def __call__(self, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> list[Any]:
        return _Walk(self.client, self.tops).page(list(keys), [str(a) for a in args])


class _Walk:
    """One page's walk (`Page`), with what it has read so far."""

    def __init__(self, client: RedisCluster, tops: dict[str, int]) -> None:
        self.client = client
        self.tops = tops
        self.counter = ""
        #: The claim counter, read once a page (where a bucketed index's walk starts).
        self.top: int | None = None
        #: The article prefix and fields of a page of claims (ARGV), and the articles read
        #: with the records (`_probe`).
        self.article_fields: tuple[str, list[str]] | None = None
        self.articles: dict[str, Any] = {}
        #: The article whose claims the walked index holds, if it is an article's.
        self.expected: list[str] = []

    def page(self, keys: list[str], args: list[str]) -> list[Any]:
        direction, bound, limit, budget, stop = args[0], args[1], int(args[2]), int(args[3]), args[4]
        excluded = int(args[5]) if len(args) > 5 and args[5] else 0
        self.counter = args[6] if len(args) > 6 else ""
        required, absent = keys[1:len(keys) - excluded], keys[len(keys) - excluded:]
        chunk = min(limit if len(keys) == 1 else max(limit, 64), budget)
        # A page that walks one index, filters only leaving claims out, keeps most of what it
        # examines: its records are read in the round trip that probes the exclusions.
        prefetch = args[7] if len(args) > 7 and not required else None
        self.article_fields = (args[8], args[9:]) if len(args) > 7 else None
        if self.article_fields is not None:
            self.expected = _article_of_index(keys[0], args[8])
        records: dict[str, Any] = {}
        out: list[str] = []
        scanned, exhausted, more = 0, 0, False
        while len(out) < limit and scanned < budget:
            batch = self._after(keys[0], direction, bound, stop, chunk)
            if not batch:
                exhausted = 1
                break
            keep = self._probe(batch, required, absent, prefetch, records)
            consumed = 0
            for (member, score), kept in zip(batch, keep):
                bound = sharded.score_text(score)
                scanned += 1
                consumed += 1
                if kept:
                    out.append(member)
                if len(out) >= limit or scanned >= budget:
                    break
            if consumed == len(batch) and len(batch) < chunk:
                exhausted = 1
                break
            # Members of the batch left unexamined: something follows, no need to ask.
            more = consumed < len(batch)
        if not exhausted and not required and not more and not self._after(keys[0], direction, bound, stop, 1):
            exhausted = 1
        reply: list[Any] = [out, bound, exhausted]
        if len(args) > 7:
            reply += list(read_claims(self.client, out, args[7], args[8], args[9:],
                                      records if prefetch is not None else None, self.articles))
        return reply

    def _after(self, key: str, direction: str, bound: str, stop: str, count: int) -> list[tuple[str, float]]:
        if is_bucketed(key):
            return self._after_bucketed(key, direction, bound, stop, count)
        return sharded.after(lambda commands: fanout(self.client, commands), key, direction, bound, stop, count)

    def _after_bucketed(self, prefix: str, direction: str, bound: str, stop: str,
                        count: int) -> list[tuple[str, float]]:
        """A bucketed index's next `count` claims after seq `bound`, as the sorted set's
        ZRANGE ... WITHSCORES would give them: bucket by bucket, a few buckets a round trip."""
        first = None
        if direction == "desc":
            low = 0 if stop == "" else int(float(stop))
            if bound == "":
                high, first = self._newest(prefix, low, count)
            else:
                high = int(float(bound)) - 1
        else:
            low = 0 if bound == "" else int(float(bound)) + 1
            high = self._top() if stop == "" else int(float(stop))
        if high < low:
            return []
        found = self._probe_window(prefix, direction, low, high, count, first)
        if len(found) >= count:
            return found
        if found:  # the rest is sparse: read bucket by bucket from where the probes stopped
            if direction == "desc":
                high = int(found[-1][1]) - 1
            else:
                low = int(found[-1][1]) + 1
        if high < low:
            return found
        buckets = list(range(low // WORD_BUCKET, high // WORD_BUCKET + 1))
        if direction == "desc":
            buckets.reverse()
        start, size = 0, 1
        while start < len(buckets):
            trip = buckets[start:start + size]
            start, size = start + size, min(2 * size, _BUCKETS_PER_TRIP)
            members = fanout(self.client, [("SMEMBERS", f"{prefix}{bucket}") for bucket in trip])
            for bucket, offsets in zip(trip, members):
                seqs = sorted((bucket * WORD_BUCKET + int(m) for m in offsets), reverse=direction == "desc")
                for seq in seqs:
                    if low <= seq <= high:
                        found.append((claim_id(seq), float(seq)))
                        if len(found) >= count:
                            return found
        return found

    def _top(self) -> int:
        """The claim counter (where a bucketed index's walk starts), read once a page, and only
        by a page that starts from the newest claim: a deep page's cursor is its start."""
        if self.top is None:
            self.top = self.tops[self.counter] = top_seq(self.client, self.counter)
        return self.top

    def _newest(self, prefix: str, low: int, count: int) -> tuple[int, list[bool] | None]:
        """The claim counter, and with it, in the same round trip, the first window of
        `_probe_window` from the newest claim down, guessed from the counter as the last page
        read it (up to `_AHEAD` claims saved since): the newest page of a bucketed index in
        one round trip instead of two. Returns the counter and, when the guess held, whether
        each seq from the counter down to the window's end is in the index (an entry above
        the counter, of a save seen half way, is left out, as the window from the counter
        would leave it); None when it did not (the window is read again from the counter)."""
        last = self.tops.get(self.counter)
        if last is None or self.top is not None:
            return self._top(), None
        guess = last + _AHEAD
        bucket = guess // WORD_BUCKET
        end = max(low, bucket * WORD_BUCKET, guess - max(4 * count, 128) - _AHEAD + 1)
        if end > guess:  # a page that stops above the guess (`since` after every claim)
            return self._top(), None
        counter, hits = fanout(self.client, [
            ("GET", self.counter),
            ("SMISMEMBER", f"{prefix}{bucket}", *range(guess - bucket * WORD_BUCKET, end - bucket * WORD_BUCKET - 1, -1))])
        self.top = self.tops[self.counter] = top = int(counter or 0)
        if not end <= top <= guess:
            return top, None
        return top, flags(hits)[guess - top:]

    def _probe_window(self, prefix: str, direction: str, low: int, high: int,
                      count: int, first: list[bool] | None = None) -> list[tuple[str, float]]:
        """The first claims of a bucketed index in [low, high] (from `high` down, or from `low`
        up), found by asking SMISMEMBER about a window of seqs at a time, as long as the windows
        are dense (more than 1 in `_DENSE` a member): a page of every claim, or of a type, is
        then one round trip however large its bucket, where reading the bucket would send and
        sort all of its members. Stops at the first sparse window (the caller reads on by
        buckets) or the end of its bucket; returns what it found, up to `count`. `first`: the
        first window's answers, already read (`_newest`)."""
        found: list[tuple[str, float]] = []
        at, step = (high, -1) if direction == "desc" else (low, 1)
        bucket = at // WORD_BUCKET
        edge = max(low, bucket * WORD_BUCKET) if step < 0 else min(high, bucket * WORD_BUCKET + WORD_BUCKET - 1)
        while len(found) < count:
            width = len(first) if first else min(abs(edge - at) + 1, max(4 * (count - len(found)), 128))
            seqs = range(at, at + step * width, step)
            hits = first or flags(fanout(self.client, [("SMISMEMBER", f"{prefix}{bucket}",
                                                         *(seq - bucket * WORD_BUCKET for seq in seqs))])[0])
            first = None
            for seq, hit in zip(seqs, hits):
                if hit:
                    found.append((claim_id(seq), float(seq)))
                    if len(found) >= count:
                        return found
            at = seqs[-1] + step
            if sum(hits) * _DENSE < width or (at - edge) * step > 0:
                break
        return found

    def _probe(self, batch: list[tuple[str, float]], required: Sequence[str], absent: Sequence[str],
               prefetch: str | None = None, records: dict[str, Any] | None = None) -> list[bool]:
        """Whether each member of `batch` is in every index of `required` and in none of
        `absent` (one ZMSCORE per shard, or sorted set, one SMISMEMBER per bucket of a bucketed
        index, all in one round trip); with `prefetch` (the claim key prefix), the members'
        records are read in the same round trip, into `records`."""
        keep = [True] * len(batch)
        if not required and not absent and prefetch is None:
            return keep
        members = [m for m, _ in batch]
        seqs = [int(score) for _, score in batch]
        by_shard: dict[int, list[int]] = {}
        by_bucket: dict[int, list[int]] = {}
        plan: list[tuple[bool, bool, Sequence[int]]] = []  # (wanted there, a bucket, positions)
        commands: list[tuple[Any, ...]] = []
        for wanted, indexes in ((True, required), (False, absent)):
            for index in indexes:
                if is_bucketed(index):
                    if not by_bucket:
                        for i, seq in enumerate(seqs):
                            by_bucket.setdefault(seq // WORD_BUCKET, []).append(i)
                    for bucket, positions in by_bucket.items():
                        base = bucket * WORD_BUCKET
                        commands.append(("SMISMEMBER", f"{index}{bucket}", *[seqs[i] - base for i in positions]))
                        plan.append((wanted, True, positions))
                elif is_sharded(index):
                    if not by_shard:
                        for i, seq in enumerate(seqs):
                            by_shard.setdefault(seq % SHARDS, []).append(i)
                    keys = _shard_keys(index)
                    for shard, positions in by_shard.items():
                        commands.append(("ZMSCORE", keys[shard], *[members[i] for i in positions]))
                        plan.append((wanted, False, positions))
                else:
                    commands.append(("ZMSCORE", index, *members))
                    plan.append((wanted, False, range(len(members))))
        guessed: list[str] = []
        if prefetch is not None:
            commands += [("GET", prefetch + member) for member in members]
            if self.article_fields is not None:  # their articles too, where known (`read_claims`)
                prefix, fields = self.article_fields
                guessed = guesses(articles_of(self.client), members, self.articles)
                guessed += [aid for aid in self.expected if aid not in guessed and aid not in self.articles]
                commands += [("HMGET", prefix + aid, *fields) for aid in guessed]
        replies = fanout(self.client, commands)
        if prefetch is not None and records is not None:
            records.update(zip(members, replies[len(plan):len(plan) + len(members)]))
            self.articles.update(zip(guessed, replies[len(plan) + len(members):]))
        for (wanted, bucket, positions), reply in zip(plan, replies):
            for i, value in zip(positions, reply):
                # SMISMEMBER: 1 or 0 (True or False through the pipeline); ZMSCORE: None if absent.
                if (value == 1 if bucket else value is not None) != wanted:
                    keep[i] = False
        return keep


def _shard_keys(index: str) -> list[str]:
    keys = _SHARD_KEYS.get(index)
    if keys is None:
        if len(_SHARD_KEYS) > 1024:
            _SHARD_KEYS.clear()
        keys = _SHARD_KEYS[index] = shard_keys(index)
    return keys


_SHARD_KEYS: dict[str, list[str]] = {}
