"""CLI commands about sources (`earshot sources`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.config import DEFAULT_CONFIG


def register(app: typer.Typer) -> None:
    """Add the source commands to the CLI."""
    app.command("sources")(sources)


def sources(
    config: Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")] = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per source.")] = False,
) -> None:
    """Show each source's state: status, last success, cursor, posts today, last error."""
    from bot.cli import load_or_exit
    from bot.store import Store

    settings = load_or_exit(config)
    store = Store.open(settings.database_url)
    rows = []
    for state in store.source_states():
        rows.append({
            "source": state.source, "status": state.status,
            "last_success": state.last_success_at.isoformat() if state.last_success_at else None,
            "cursor": store.load_cursor(state.source), "posts_today": state.posts_today,
            "posts_total": state.posts_total, "skipped_total": state.skipped_total,
            "last_error": state.last_error,
        })
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    if not rows:
        typer.echo("no source has run yet")
    for row in rows:
        typer.echo(f"{row['source']:<10} {row['status']:<8} last success {row['last_success'] or '-'}  "
                   f"posts today {row['posts_today']}  skipped {row['skipped_total']}")
        typer.echo(f"{'':<10} cursor {json.dumps(row['cursor'])}")
        if row["last_error"]:
            typer.echo(f"{'':<10} last error: {row['last_error']}")
