"""`earshot status`: the figures /metrics shows, in a terminal."""

from __future__ import annotations

import typer

from bot.app.status import status_lines
from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, open_store
from bot.store import telemetry


def status(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Print every Earshot metric: posts per source, skipped records, queue depths, latencies, failures."""
    store = open_store(config)
    telemetry.register(store)
    try:
        for line in status_lines():
            typer.echo(line)
    finally:
        telemetry.unregister(store)
        store.engine.dispose()
