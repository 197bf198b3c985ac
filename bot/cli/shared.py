"""What every command shares: the --config option, loading the config, opening the store, printing rows."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.app.config import DEFAULT_CONFIG, Config, load_config
from bot.store import Store

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]
__all__ = ["DEFAULT_CONFIG", "ConfigOption", "echo_json", "load", "open_store", "when"]


def load(path: Path) -> Config:
    """The config at `path`; a ConfigError goes to the shell's error boundary (one line, exit 2)."""
    return load_config(path)


def open_store(path: Path) -> Store:
    """The store the config at `path` names (StoreError, one line and exit 1, if it cannot be opened)."""
    return Store.open(load_config(path).database_url)


def echo_json(row: dict[str, Any]) -> None:
    """One JSON object on one line; times as ISO 8601."""
    typer.echo(
        json.dumps(
            row,
            default=lambda value: value.isoformat() if isinstance(value, datetime) else str(value),
            ensure_ascii=False,
        )
    )


def when(moment: datetime | None) -> str:
    """A time for a table: `2026-11-20 12:00 UTC`, or `-`."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"
