"""The claim queue's table rows, as one piece of HTML built in Python.

The queue shows 50 rows a page, each of nine cells. Rendered by Jinja, every cell is an
attribute lookup, an escape and a yield of its own: about 0.6 ms a page, twice what the same
page costs as JSON (bench/console.py). Here a row is one f-string, in which every value that
comes from a record (claim text, cue, stance, speaker and article names, times, assignee) is
escaped as Jinja's autoescaping escapes it (`_text`); ids and URLs are made of [0-9a-z_/] by
construction (`values.is_id`), statuses and numbers by the store.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from ..store import STANCES, VERIFICATION_STATUSES
from .text import readable_time

#: Speakers with a page of their own (the registry's named kinds); other sources are shown as text.
LINKED_KINDS = ("person", "organization")


def _text(value: str) -> str:
    """`value` escaped for HTML exactly as `markupsafe.escape` escapes it. Most values hold none
    of the five characters it replaces; looking for them costs a quarter of an escape, and a page
    escapes about 250 values."""
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return str(escape(value))
    return value


def queue_rows(claims: Iterable[Mapping[str, Any]], verifier: bool, claims_url: str) -> Markup:
    """The queue's `<tr class="claim-row">` rows for `claims`, newest first as given.

    `verifier`: the row has a selection box (bulk actions) and, when nobody has the claim, an
    "Assign to me" button. `claims_url`: the queue's own path (``/console/claims``); the claim,
    speaker and article pages are found beside it.
    """
    base = claims_url[:-len("claims")]
    # Claims of one article, or of one speaker, often follow one another: their cells are made once.
    speakers: dict[tuple[str, str, str], str] = {}
    articles: dict[tuple[str, str | None], str] = {}
    out = []
    for c in claims:
        cid, speaker, article, aid = c["id"], c["speaker"], c["article"], c["article_id"]
        who_said = (speaker["id"], speaker["name"], speaker["kind"])
        name = speakers.get(who_said)
        if name is None:
            name = speakers[who_said] = _speaker_cell(speaker, base)
        moment = article["published_at"] or c["created_at"]
        source = articles.get((aid, moment))
        if source is None:
            source = articles[aid, moment] = _article_cell(aid, article["title"], moment, base)
        who = c["assignee"]
        if who:
            assignee = _text(who)
        elif verifier:
            assignee = f'<button type="submit" name="assign_one" value="{cid}" class="small">Assign to me</button>'
        else:
            assignee = "\u2014"
        select = (f'<td><input type="checkbox" name="claim_ids" value="{cid}" aria-label="Select this claim"></td>'
                  if verifier else "")
        status = c["verification"]["status"]
        out.append(
            f'\n<tr class="claim-row">{select}\n'
            f'  <td class="text"><a href="{claims_url}/{cid}">{_text(c["text"])}</a></td>\n'
            f'  <td>{name}</td>\n'
            f'  <td>{_text(c["cue"])}</td>\n'
            f'  <td>{_STANCES.get(c["stance"]) or _text(c["stance"])}</td>\n'
            f'  <td>{source}</td>\n'
            f'  <td>{_STATUSES.get(status) or _status_cell(status)}</td>\n'
            f'  <td class="assignee">{assignee}</td>\n'
            f'  <td>{c["confidence"]:.2f}</td>\n'
            f'</tr>\n')
    return Markup("".join(out))


def _speaker_cell(speaker: Mapping[str, Any], base: str) -> str:
    name = _text(speaker["name"])
    return f'<a href="{base}speakers/{speaker["id"]}">{name}</a>' if speaker["kind"] in LINKED_KINDS else name


def _article_cell(aid: str, title: str | None, moment: str | None, base: str) -> str:
    """The article's title as a link, and when it was published (else when the claim was found)
    as people read it, the exact UTC time on hover."""
    when = (f'<time datetime="{_text(moment)}" title="{_text(moment[:19].replace("T", " "))} UTC">'
            f'{_text(readable_time(moment))}</time>') if moment else ""
    return f'<a href="{base}articles/{aid}">{_text(title or aid)}</a><br><small>{when}</small>'


def _status_cell(status: str) -> str:
    return f'<span class="status status-{_text(status)}">{_text(status.replace("_", " "))}</span>'


_STATUSES = {status: _status_cell(status) for status in VERIFICATION_STATUSES}
_STANCES = {stance: stance for stance in STANCES}
