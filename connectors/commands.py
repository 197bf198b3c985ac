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
    states = {state.source: state for state in store.source_states()}
    enabled = [name for name in ("replay", "x", "reddit") if getattr(settings.connectors, name).enabled]
    for name in sorted(set(states) | set(enabled)):
        state = states.get(name)
        if state is None:  # enabled, but no run has reached it yet
            rows.append({"source": name, "status": "never run", "last_success": None, "cursor": None,
                         "posts_today": 0, "posts_total": 0, "skipped_total": 0, "last_error": None,
                         "failing_since": None, "enabled": True})
            continue
        rows.append({
            "source": state.source, "status": state.status,
            "last_success": state.last_success_at.isoformat() if state.last_success_at else None,
            "cursor": store.load_cursor(state.source), "posts_today": state.posts_today,
            "posts_total": state.posts_total, "skipped_total": state.skipped_total,
            "last_error": state.last_error,
            "failing_since": state.failing_since.isoformat() if state.failing_since else None,
            "enabled": name in enabled,
        })
    store.engine.dispose()
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    if not rows:
        typer.echo("no source has run yet")
    for row in rows:
        typer.echo(f"{row['source']:<10} {row['status']:<9} last success {row['last_success'] or '-'}  "
                   f"posts today {row['posts_today']}  skipped {row['skipped_total']}")
        typer.echo(f"{'':<10} cursor {json.dumps(row['cursor'])}")
        if row["last_error"]:
            since = f" (failing since {row['failing_since']})" if row["failing_since"] else ""
            typer.echo(f"{'':<10} last error: {row['last_error']}{since}")
