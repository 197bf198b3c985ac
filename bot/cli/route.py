"""`earshot route --explain POST`: why a post was routed the way it was."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, load
from bot.store import Store


def route(
    explain: Annotated[
        str, typer.Option("--explain", metavar="POST", help="Post id, x:<tweet id> or reddit:<fullname>.")
    ],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Explain a post's route decision: the rule that fired, every reason, visibility and incident."""
    from bot.routing.explain import explain as explain_post

    settings = load(config)
    echo(explain_post(Store.open(settings.database_url), settings.routing, settings.brand.own_handles, explain))
