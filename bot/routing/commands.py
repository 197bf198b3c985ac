"""CLI commands for routing (`earshot route ...`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the routing commands to the CLI."""
