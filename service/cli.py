"""Operator commands on the app's store: `flask --app service.app <command>`."""
from __future__ import annotations

import json

import click
from flask import Flask

from .runtime import runtime
from .store.migrate import SCHEMA, migrate


def install(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Upgrade stored data to the current layout (idempotent; run before starting workers)."""
        report = migrate(runtime().store)
        click.echo(json.dumps(report))
        click.echo(f"data is at schema version {SCHEMA}", err=True)
