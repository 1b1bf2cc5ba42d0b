"""Operator commands on the app's store: `flask --app service.app <command>`."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask

from . import gold
from .queue import enqueuer
from .runtime import runtime
from .store import Gone, format_time
from .store.connection import client, cluster_client
from .store.copy import COPY_BATCH, copy_store, verify
from .store.values import epoch_ms
from .store.migrate import SCHEMA, migrate


def install(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Upgrade stored data to the current layout (idempotent; run before starting workers)."""
        report = migrate(runtime().repos.conn)
        click.echo(json.dumps(report))
        click.echo(f"data is at schema version {SCHEMA}", err=True)

    @app.cli.command("copy-store")
    @click.option("--to", "target_url", required=True, help="The Redis to copy into: a node of a cluster with "
                                                            "--cluster, else a server's URL.")
    @click.option("--cluster", "target_cluster", is_flag=True, help="--to names a node of a Redis Cluster.")
    @click.option("--batch", type=int, default=COPY_BATCH, show_default=True, help="Keys per round trip.")
    @click.option("--restart", is_flag=True, help="Walk the whole source again instead of resuming.")
    @click.option("--sample", type=int, default=200, show_default=True,
                  help="Keys read back on both sides to verify the copy.")
    def copy_store_command(target_url: str, target_cluster: bool, batch: int, restart: bool, sample: int) -> None:
        """Copy this store (REDIS_URL, a single server) to another Redis, typically a cluster;
        resumable, then verified by counts and a sample. Stop the API and workers first."""
        config = runtime().config
        if config.redis_cluster:
            raise click.UsageError("copy-store copies from a single server: REDIS_URL names a cluster")
        source = client(config.redis_url, False, None)
        target = cluster_client(target_url, None, decode=False) if target_cluster else client(target_url, False, None)
        try:
            progress = copy_store(source, target, batch=batch, restart=restart)
            click.echo(f"copied {progress['copied']} keys", err=True)
            report = verify(source, target, sample=sample)
        finally:
            source.close()
            target.close()
        click.echo(json.dumps({**progress, "verify": report}))
        if not report["ok"]:
            raise SystemExit(1)

    @app.cli.command("reextract")
    @click.option("--older-than", type=int, required=True,
                  help="Queue articles whose claims came from rules older than this version "
                       "(workers.extraction.RULES_VERSION; articles without a version count as 0).")
    @click.option("--limit", type=int, default=None, help="Queue at most this many articles in this run.")
    @click.option("--rate", type=float, default=5.0, show_default=True, help="Articles queued per second, at most.")
    @click.option("--restart", is_flag=True, help="Start from the oldest article instead of where the last run "
                                                  "with the same --older-than stopped.")
    def reextract_command(older_than: int, limit: int | None, rate: float, restart: bool) -> None:
        """Queue re-extraction of every article extracted by older rules, oldest first.

        Resumable: progress is kept in Redis after every article, so an interrupted run goes on
        from where it stopped. Verdicts are never lost (see POST /v1/articles/{id}/reextract).
        """
        from workers.extraction.version import rules_version

        rt = runtime()
        name = f"older-than-{older_than}"
        after = None if restart else rt.repos.articles.reextraction_cursor(name)
        queued = seen = 0
        pause = 1.0 / rate if rate > 0 else 0.0
        while limit is None or queued < limit:
            batch = rt.repos.articles.oldest_from(after, 200)
            if not batch:
                rt.repos.articles.save_reextraction_cursor(name, None)
                break
            for aid, score, version in batch:
                seen += 1
                if rules_version(version) < older_than:
                    try:
                        result = rt.repos.articles.request_reextraction(
                            aid, enqueuer(rt.queue, rt.config, rt.repos), by="cli")
                    except Gone:
                        result = None
                    if result is not None and result[1]:
                        queued += 1
                        time.sleep(pause)
                after = score
                rt.repos.articles.save_reextraction_cursor(name, after)
                if limit is not None and queued >= limit:
                    break
            click.echo(f"examined {seen}, queued {queued}", err=True)
        click.echo(json.dumps({"examined": seen, "queued": queued}))

    @app.cli.command("export-gold")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
                  help="Only articles marked reviewed or corrected at or after this time (UTC).")
    @click.option("--reviewed-only", is_flag=True,
                  help="Only articles marked reviewed on their current revision (else also articles with "
                       "corrected or added claims).")
    def export_gold_command(directory: Path, since: datetime | None, reviewed_only: bool) -> None:
        """Write reviewed articles as evaluation data: NAME.txt and NAME.gold.json in the format of
        ../shared/eval/dev, the claims as reviewers left them (score.py DIR --service URL scores
        an extractor on them)."""
        since_ms = epoch_ms(format_time(since.replace(tzinfo=timezone.utc))) if since is not None else None
        result = gold.export(runtime().repos, directory, since_ms, reviewed_only)
        click.echo(f"wrote {len(result.articles)} articles, {result.claims} claims to {directory}", err=True)
        click.echo(json.dumps(result.as_dict()))
