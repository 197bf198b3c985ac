"""`earshot status`: the figures /metrics shows, in a terminal."""

from __future__ import annotations

from bot.app.status import status_lines
from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, open_store
from bot.core import metrics
from bot.store import telemetry


def status(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Print every Earshot metric: posts per source, skipped records, queue depths, latencies, failures.

    Figures kept in the database are the daemon's; timings only the running daemon sees (classification,
    rate-limit waits, request budgets) show at /metrics.
    """
    store = open_store(config)  # it answered: this process reaches the database
    metrics.DATABASE_UP.set(1)
    telemetry.register(store)
    try:
        for line in status_lines():
            echo(line)
    finally:
        telemetry.unregister(store)
        store.engine.dispose()
