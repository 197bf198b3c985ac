"""CLI commands for routing (`earshot route ...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.config import DEFAULT_CONFIG


def register(app: typer.Typer) -> None:
    """Add the routing commands (and the delivery engineer's `ack` and `alerts`) to the CLI."""
    from bot.routing import delivery_commands

    app.command("route")(route)
    delivery_commands.register(app)


def route(
    explain: Annotated[str, typer.Option("--explain", metavar="POST",
                                         help="Post id, x:<tweet id> or reddit:<fullname>.")],
    config: Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")] = DEFAULT_CONFIG,
) -> None:
    """Explain a post's route decision: the rule that fired, every reason, visibility and incident."""
    from bot.cli import load_or_exit
    from bot.routing.explain import UnknownPost
    from bot.routing.explain import explain as explain_post
    from bot.store import Store

    settings = load_or_exit(config)
    try:
        typer.echo(explain_post(Store.open(settings.database_url), settings.routing, settings.brand.handles, explain))
    except UnknownPost as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
