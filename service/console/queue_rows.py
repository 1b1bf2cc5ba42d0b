"""The claim queue's table rows, as one piece of HTML built in Python.

The queue shows 50 rows a page, each of nine cells. Rendered by Jinja, every cell is an
attribute lookup, an escape and a yield of its own: about 0.6 ms a page, twice what the same
page costs as JSON (bench/console.py). Here a row is one f-string, in which every value that
comes from a record (claim text, cue, stance, speaker and article names, times, assignee) goes
through `markupsafe.escape`, as Jinja's autoescaping would; ids and URLs are made of
[0-9a-z_/] by construction (`layout.is_id`), statuses and numbers by the store.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from ..store import STANCES, VERIFICATION_STATUSES
from .text import readable_time

#: Speakers with a page of their own (the registry's named kinds); other sources are shown as text.
LINKED_KINDS = ("person", "organization")


def queue_rows(claims: Iterable[Mapping[str, Any]], verifier: bool, claims_url: str) -> Markup:
    """The queue's `<tr class="claim-row">` rows for `claims`, newest first as given.

    `verifier`: the row has a selection box (bulk actions) and, when nobody has the claim, an
    "Assign to me" button. `claims_url`: the queue's own path (``/console/claims``); the claim,
    speaker and article pages are found beside it.
    """
    base = claims_url[:-len("claims")]
    # A page's claims come in runs from one article and one speaker: their cells are made once.
    speakers: dict[str, str] = {}
    articles: dict[tuple[str, str | None], str] = {}
    out = []
    for c in claims:
        cid, speaker, article, aid = c["id"], c["speaker"], c["article"], c["article_id"]
        name = speakers.get(speaker["id"])
        if name is None:
            name = speakers[speaker["id"]] = _speaker_cell(speaker, base)
        moment = article["published_at"] or c["created_at"]
        source = articles.get((aid, moment))
        if source is None:
            source = articles[aid, moment] = _article_cell(aid, article["title"], moment, base)
        who = c["assignee"]
        if who:
            assignee = escape(who)
        elif verifier:
            assignee = Markup(f'<button type="submit" name="assign_one" value="{cid}" class="small">Assign to me</button>')
        else:
            assignee = Markup("\u2014")
        select = (f'<td><input type="checkbox" name="claim_ids" value="{cid}" aria-label="Select this claim"></td>'
                  if verifier else "")
        status = c["verification"]["status"]
        out.append(
            f'\n<tr class="claim-row">{select}\n'
            f'  <td class="text"><a href="{claims_url}/{cid}">{escape(c["text"])}</a></td>\n'
            f'  <td>{name}</td>\n'
            f'  <td>{escape(c["cue"])}</td>\n'
            f'  <td>{_STANCES.get(c["stance"]) or escape(c["stance"])}</td>\n'
            f'  <td>{source}</td>\n'
            f'  <td>{_STATUSES.get(status) or _status_cell(status)}</td>\n'
            f'  <td class="assignee">{assignee}</td>\n'
            f'  <td>{c["confidence"]:.2f}</td>\n'
            f'</tr>\n')
    return Markup("".join(out))


def _speaker_cell(speaker: Mapping[str, Any], base: str) -> str:
    name = escape(speaker["name"])
    return f'<a href="{base}speakers/{speaker["id"]}">{name}</a>' if speaker["kind"] in LINKED_KINDS else name


def _article_cell(aid: str, title: str | None, moment: str | None, base: str) -> str:
    """The article's title as a link, and when it was published (else when the claim was found)
    as people read it, the exact UTC time on hover."""
    when = (f'<time datetime="{escape(moment)}" title="{escape(moment[:19].replace("T", " "))} UTC">'
            f'{escape(readable_time(moment))}</time>') if moment else ""
    return f'<a href="{base}articles/{aid}">{escape(title or aid)}</a><br><small>{when}</small>'


def _status_cell(status: str) -> str:
    return f'<span class="status status-{escape(status)}">{escape(status.replace("_", " "))}</span>'


_STATUSES = {status: _status_cell(status) for status in VERIFICATION_STATUSES}
_STANCES = {stance: stance for stance in STANCES}
