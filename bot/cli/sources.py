"""`earshot sources`: each source's state (status, last success, cursor, posts today, last error,
dead letters, alarm, posts judged not about the brand today); when the database does not answer, that, and exit 1."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, echo_json, load
from bot.core.clock import utcnow
from bot.core.errors import StoreError
from bot.core.spend import spend_of
from bot.store import DeadLetters, OffBrand, SourceActivity, SourceView, Store, off_brand_by_connector
from connectors.registry import enabled_sources


def sources(
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per source.")] = False,
) -> None:
    """Show each source's state: status, last success, cursor, posts today, last error."""
    settings = load(config)
    enabled = enabled_sources(settings.connectors)
    try:
        store = Store.open(settings.database_url)
        with store.transaction() as tx:
            states = {view.source: view for view in tx.listings.sources()}
            letters = tx.sources.dead_letters()
            alarms = {name: tx.sources.activity(name, window=timedelta(hours=1)) for name in states}
            dropped = tx.listings.off_brand(start_of_today())
        store.engine.dispose()
    except StoreError as err:  # an outage is exactly when this command must still say something
        echo(f"database error: {' '.join(str(err).split())}", err=True)
        for name in enabled:
            echo(f"{name:<10} unknown   (the database does not answer)")
        raise typer.Exit(1) from err
    dropped = off_brand_by_connector(dropped, sorted(set(states) | set(enabled)))
    rows = [
        _row(name, states.get(name), enabled=name in enabled)
        | _extra(letters.get(name), alarms.get(name))
        | _dropped(dropped.get(name))
        for name in sorted(set(states) | set(enabled))
    ]
    if as_json:
        for row in rows:
            echo_json(row)
        return
    if not rows:
        echo("no source has run yet")
    for row in rows:
        echo(
            f"{row['source']:<10} {row['status']:<9} last success {row['last_success'] or '-'}  "
            f"posts today {row['posts_today']}  skipped {row['skipped_total']}"
        )
        echo(f"{'':<10} cursor {json.dumps(row['cursor'])}")
        if (spend := spend_of(row["cursor"])) is not None:
            echo(f"{'':<10} spend: {spend.describe()}")
        for stream, note in ((row["cursor"] or {}).get("notes") or {}).items():
            echo(f"{'':<10} note: {stream}: {note}")
        if row["last_error"]:
            since = f" (failing since {row['failing_since']})" if row["failing_since"] else ""
            echo(f"{'':<10} last error: {row['last_error']}{since}")
        if row["dead_letters"]:
            echo(f"{'':<10} dead letters {row['dead_letters']}, last: {row['last_skip_reason']}")
        if row["alarm"]:
            echo(f"{'':<10} ALARM since {row['alarm_since']}: {row['alarm']}")
        if row["off_brand_today"]:
            echo(f"{'':<10} judged not about the brand today: {row['off_brand_today']} (stored, never routed), e.g.")
            for example in row["off_brand_examples"]:
                echo(f'{"":<12} "{example["text"]}" — {example["why"]}')


def start_of_today() -> datetime:
    """Midnight UTC today: what `posts today` and `off-brand today` count from."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def _dropped(off: OffBrand | None) -> dict[str, Any]:
    """Posts the relevance check dropped today: how many, and a few with the reason (a wrong `brand:` shows here)."""
    return {
        "off_brand_today": off.count if off else 0,
        "off_brand_examples": [{"text": text, "why": why} for text, why in off.examples] if off else [],
    }


def _extra(letters: DeadLetters | None, activity: SourceActivity | None) -> dict[str, Any]:
    """Dead letters and the silent-source alarm of one source."""
    alarm_since = activity.alarm_since if activity else None
    return {
        "dead_letters": letters.count if letters else 0,
        "last_skip_reason": letters.last_reason if letters else None,
        "alarm": activity.alarm_reason if activity and alarm_since else None,
        "alarm_since": alarm_since.isoformat() if alarm_since else None,
    }


def _row(name: str, view: SourceView | None, *, enabled: bool) -> dict[str, Any]:
    """One source as printed; an enabled source no run has reached yet is `never run`."""
    if view is None:
        return {
            "source": name,
            "status": "never run",
            "last_success": None,
            "cursor": None,
            "posts_today": 0,
            "posts_total": 0,
            "skipped_total": 0,
            "last_error": None,
            "failing_since": None,
            "enabled": True,
        }
    row = asdict(view)
    last_success, failing_since = row.pop("last_success_at"), row["failing_since"]
    row["last_success"] = last_success.isoformat() if last_success else None
    row["failing_since"] = failing_since.isoformat() if failing_since else None
    return {
        key: row[key]
        for key in (
            "source",
            "status",
            "last_success",
            "cursor",
            "posts_today",
            "posts_total",
            "skipped_total",
            "last_error",
            "failing_since",
        )
    } | {"enabled": enabled}
