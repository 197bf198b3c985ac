"""What every command shares: the --config option, loading the config, opening the store, printing rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.app.config import DEFAULT_CONFIG, Config, load_config
from bot.core.errors import EarshotError
from bot.core.escape import for_terminal, terminal_json
from bot.store import Store

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]
__all__ = ["DEFAULT_CONFIG", "ConfigOption", "echo", "echo_json", "load", "open_store", "span", "when"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def load(path: Path) -> Config:
    """The config at `path`; a ConfigError goes to the shell's error boundary (one line, exit 2)."""
    return load_config(path)


def open_store(path: Path) -> Store:
    """The store the config at `path` names (StoreError, one line and exit 1, if it cannot be opened)."""
    return Store.open(load_config(path).database_url)


def span(text: str, option: str) -> timedelta:
    """A span given on the command line ('90m', '2h', '7d', '2w'); EarshotError naming `option` if not one."""
    match = _SPAN.match(text)
    if not match or float(match.group(1)) <= 0:
        raise EarshotError(f"{option} '{text}': give a span like 24h, 90m, 7d or 2w")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """What every command prints goes through here: no escape sequences (window titles, clipboard writes,
    hidden hyperlinks), control characters or bidi overrides from a post reach the terminal."""
    typer.echo(for_terminal(text), err=err, nl=nl)


def echo_json(row: Any) -> None:
    """One JSON object on one line, safe to print (C1 and bidi controls escaped); times as ISO 8601."""
    typer.echo(
        terminal_json(row, default=lambda value: value.isoformat() if isinstance(value, datetime) else str(value))
    )


def when(moment: datetime | None) -> str:
    """A time for a table: `2026-11-20 12:00 UTC`, or `-`."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"
