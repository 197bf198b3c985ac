"""CLI commands for delivery: `earshot ack ALERT_ID --by NAME` and `earshot alerts` (the alert feed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

_CONFIG = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]


def register(app: typer.Typer) -> None:
    """Add the delivery commands to the CLI."""
    app.command("ack")(ack)
    app.command("alerts")(alerts)


def _store(config: Path):  # type: ignore[no-untyped-def]
    from bot.cli import load_or_exit
    from bot.store import Store

    return Store.open(load_or_exit(config).database_url)


def ack(alert_id: Annotated[int, typer.Argument(help="The alert's id, as shown in the alert and the feed.")],
        by: Annotated[str, typer.Option("--by", help="Who acknowledges it.")],
        config: _CONFIG = Path("config.yaml")) -> None:
    """Acknowledge an alert: its escalation stops and its unsent messages are cancelled."""
    from bot.routing.escalation import acknowledge

    alert = acknowledge(_store(config), alert_id, by)
    if alert is None:
        typer.echo(f"no alert {alert_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"alert {alert_id} acknowledged by {alert.acked_by} at {alert.acked_at:%Y-%m-%d %H:%M:%S} UTC")


def alerts(unacked: Annotated[bool, typer.Option("--unacked", help="Only alerts nobody acknowledged.")] = False,
           limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 20,
           config: _CONFIG = Path("config.yaml")) -> None:
    """Print the alert feed, newest first, one JSON object per line."""
    from sqlmodel import col, select

    from bot.store.delivery_tables import AlertRow

    store = _store(config)
    with store.session() as session:
        query = select(AlertRow).order_by(col(AlertRow.id).desc()).limit(limit)
        if unacked:
            query = query.where(col(AlertRow.acked_at).is_(None))
        for row in session.exec(query).all():
            typer.echo(json.dumps({
                "id": row.id, "tier": row.tier, "current_tier": row.current_tier, "status": row.status,
                "level": row.escalation_level, "rule": row.rule, "title": row.message.get("title"),
                "created_at": row.created_at.isoformat(), "acked_by": row.acked_by,
                "next_escalation_at": row.next_escalation_at.isoformat() if row.next_escalation_at else None,
            }))
