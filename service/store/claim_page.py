"""What the review console's claim page shows, read in at most four round trips.

The page shows a claim with its article, its history, its cluster (when shared), suggestions
of the same claim elsewhere and its neighbours in its article. Read one repository method at a
time, that was nine round trips, each paying redis-py's and the kernel's cost of a call: about
a third of the page's time (bench/console.py). Here the claim's record is read first; then, in
one pipeline, its history and what the record names (its article, its cluster, its article's
and its speaker's claims); then the records those name (one MGET); and last, only when other
claims are shown, their articles' fields.

Each pipeline holds commands of one key each, so the same code runs on a Redis Cluster, whose
client splits a pipeline, and the store's MGET, by slot. What comes back is what the
repositories' own reads return for the same data (`ClaimRepository.get`,
`ArticleRepository.get`, `VerdictRepository.history`, `ClusterRepository.get` and `.similar`,
and the article's claims in order; tests/test_claim_page.py compares them); like theirs, the
reads together are not one snapshot.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from . import reads, records
from .suggestions import ranked_suggestions, suggestion_of
from .connection import Connection
from .layout import Keys
from .values import is_id


class ClaimPage(NamedTuple):
    """A claim and what its page shows beside it."""

    #: As `ClaimRepository.get` returns it (with its article's reference fields and its context).
    claim: dict[str, Any]
    #: As `ArticleRepository.get` returns it: None when the article was taken down.
    article: dict[str, Any] | None
    #: Verification changes, oldest first (`VerdictRepository.history`).
    history: list[dict[str, Any]]
    #: `ClusterRepository.get` of the claim's cluster when it is shared (two claims or more), else None.
    cluster: dict[str, Any] | None
    #: `ClusterRepository.similar` with the same `limit` and `scan`.
    suggestions: list[dict[str, Any]]
    #: The article's claims before and after this one (`neighbours`).
    previous: str | None
    following: str | None


def neighbours(ids: Sequence[str], cid: str) -> tuple[str | None, str | None]:
    """The ids before and after `cid` in `ids` (an article's claims by seq); (None, None) when
    `cid` is not among them."""
    if cid not in ids:
        return None, None
    at = ids.index(cid)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def read_claim_page(conn: Connection, cid: str, limit: int, scan: int) -> ClaimPage | None:
    """The claim page of claim `cid` (None for an unknown claim), with at most `limit`
    suggestions found among the speaker's `scan` newest claims."""
    if not is_id("clm", cid):
        return None
    redis = conn.redis
    raw = redis.get(Keys.claim(cid))
    if raw is None:
        return None
    fields = records.unpack_claim(cid, raw)
    aid, clsid = fields["article_id"], fields["cluster_id"]
    with redis.pipeline(transaction=False) as pipe:
        pipe.lrange(Keys.history(cid), 0, -1)
        pipe.hgetall(Keys.article(aid))
        pipe.hgetall(Keys.cluster(clsid))
        pipe.zrange(Keys.cluster_claims(clsid), 0, -1)
        pipe.lrange(Keys.cluster_log(clsid), 0, -1)
        pipe.zrange(Keys.article_claims(aid), 0, -1)
        pipe.zrevrange(Keys.by_speaker(fields["speaker_id"]), 0, scan - 1)
        history, article_raw, cluster_raw, member_ids, log, siblings, candidate_ids = pipe.execute()

    # The cluster's members (only a shared cluster is shown) and the speaker's other claims: one MGET.
    member_ids = member_ids if cluster_raw else []
    candidate_ids = [i for i in candidate_ids if i != cid]
    wanted = list(dict.fromkeys([*member_ids, *candidate_ids]))
    found = dict(zip(wanted, redis.mget([Keys.claim(i) for i in wanted]))) if wanted else {}
    ranked = ranked_suggestions(fields, ((i, found[i]) for i in candidate_ids), limit)

    # Every claim shown beside this one, with its article's reference fields (read once per article).
    shown_raw = {i: found[i] for i in member_ids if found[i]}
    shown_raw.update((other["id"], found[other["id"]]) for _, _, other in ranked)
    shown = {i: records.shown_claim(i, r) for i, r in shown_raw.items()}
    refs = {aid: _ref(aid, article_raw)}
    others = list(dict.fromkeys(c["article_id"] for c in shown.values() if c["article_id"] not in refs))
    if others:
        with redis.pipeline(transaction=False) as pipe:
            for other in others:
                pipe.hmget(Keys.article(other), *records.ARTICLE_REF_FIELDS)
            refs.update((other, records.article_ref(other, values)) for other, values in zip(others, pipe.execute()))
    for c in shown.values():
        c["article"] = dict(refs[c["article_id"]])

    claim = records.shown_claim(cid, raw)
    claim["article"] = dict(refs[aid])
    claim["context"] = reads.claim_context(claim, article_raw.get("text") or "")
    previous, following = neighbours(siblings, cid)
    return ClaimPage(
        claim=claim,
        article=records.article(article_raw) if article_raw and not article_raw.get("deleted_at") else None,
        history=[json.loads(e) for e in history],
        cluster=reads.shown_cluster(clsid, cluster_raw, [shown[i] for i in member_ids if i in shown], log)
        if cluster_raw else None,
        suggestions=[suggestion_of(other_cluster, suggestion, shown[other["id"]])
                     for other_cluster, suggestion, other in ranked],
        previous=previous, following=following,
    )


def _ref(aid: str, article_raw: dict[str, str]) -> dict[str, Any]:
    return records.article_ref(aid, [article_raw.get(name) for name in records.ARTICLE_REF_FIELDS])
