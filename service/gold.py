"""Reviewed articles as evaluation data: the format of ``../shared/eval/dev`` (``NAME.txt``:
headline, blank line, body; ``NAME.gold.json``: the claims), so that ``score.py DIR --service
URL`` scores an extractor on a newsroom's own corrected articles.

Plain functions over an article, its claims and the registry's speakers as the API shows
them; `export` is what ``flask --app service.app export-gold`` runs (cli.py).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .store import Repositories


def headline(article: Mapping[str, Any]) -> str:
    """The article's title on one line (score.py cuts the file at its first blank line)."""
    return " ".join((article.get("title") or "").split()) or f"Article {article['id']}"


def article_file(article: Mapping[str, Any]) -> str:
    """``NAME.txt``: headline, blank line, the article's current text."""
    return f"{headline(article)}\n\n{article['text'].strip()}\n"


def gold_claim(claim: Mapping[str, Any], speaker: Mapping[str, Any] | None) -> dict[str, Any]:
    """A claim as a gold claim. The speaker is the registry's canonical name (after renames and
    merges); the name on the claim and the registry's aliases are accepted forms, the words
    the article used a mention."""
    name = speaker["name"] if speaker else claim["speaker"]["name"]
    aliases = sorted({*(speaker or {}).get("aliases", []), claim["speaker"]["name"]} - {name})
    mention = claim["speaker"].get("mention") or ""
    return {"speaker": name, "aliases": aliases, "mentions": [mention] if mention and mention != name else [],
            "type": claim["type"], "content": claim["text"], "stance": claim.get("stance") or "asserts",
            "origin": claim.get("origin") or "extractor", "corrected": list(claim.get("corrected") or [])}


def gold_claims(claims: Iterable[Mapping[str, Any]],
                speaker_of: Callable[[str], Mapping[str, Any] | None]) -> list[dict[str, Any]]:
    """An article's current claims (the API's, which leave out `not_a_claim` and superseded
    ones) as gold claims, in text order."""
    ordered = sorted(claims, key=lambda c: (c["span"]["start"], c["span"]["end"]))
    return [gold_claim(c, speaker_of(c["speaker"]["id"]) if c["speaker"]["id"] else None) for c in ordered]


@dataclass(frozen=True)
class Exported:
    articles: list[str]
    claims: int
    skipped: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"articles": len(self.articles), "claims": self.claims, "names": self.articles,
                "skipped": self.skipped}


def chosen_articles(repos: Repositories, since_ms: int | None, reviewed_only: bool) -> list[str]:
    """Articles marked reviewed (on their current revision, with `reviewed_only`), and unless
    `reviewed_only` those with corrected or added claims; marked or corrected since `since_ms`."""
    ids = list(repos.reviews.reviewed_since(since_ms))
    if reviewed_only:
        return [aid for aid in ids if (review := repos.reviews.get(aid)) is not None and review.as_dict()["reviewed"]]
    return list(dict.fromkeys(ids + repos.corrections.corrected_since(since_ms)))


def export(repos: Repositories, directory: Path, since_ms: int | None = None, reviewed_only: bool = False) -> Exported:
    """Write each chosen article as ``ID.txt`` and ``ID.gold.json`` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    names, skipped, count = [], [], 0
    speakers: dict[str, Mapping[str, Any] | None] = {}

    def speaker_of(sid: str) -> Mapping[str, Any] | None:
        if sid not in speakers:
            speakers[sid] = repos.speakers.get(sid)
        return speakers[sid]

    for aid in chosen_articles(repos, since_ms, reviewed_only):
        article = repos.articles.get(aid)
        if article is None or article["status"] != "done":
            skipped.append(aid)  # taken down, or being extracted again
            continue
        claims, cursor = [], None
        while True:
            page = repos.claims.of_article(aid, cursor=cursor, limit=500)
            claims += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        gold = gold_claims(claims, speaker_of)
        (directory / f"{aid}.txt").write_text(article_file(article), encoding="utf-8")
        (directory / f"{aid}.gold.json").write_text(
            json.dumps({"claims": gold}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        names.append(aid)
        count += len(gold)
    return Exported(names, count, skipped)
