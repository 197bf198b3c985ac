"""Who wakes whom: the one table of the pipeline's order.

A stage that handled work wakes the stage after it at once, in this process directly and in
other processes through the store's wake-up channel (PostgreSQL NOTIFY); every stage also runs
on its own interval, so a lost wake-up only delays work.
"""

from __future__ import annotations

from collections.abc import Mapping

CHAIN: Mapping[str, str] = {
    "ingest": "classify",  # new posts are stored: label them
    "classify": "route",  # labels are stored: decide
    "route": "deliver",  # tickets and alerts are in the outbox: send them
    "escalate": "deliver",  # an alert moved up a tier (or a cap's summary is due): send it
}


def channel(stage: str) -> str:
    """The wake-up channel a stage's loop listens on."""
    return f"earshot_{stage}"


def wakes(stage: str) -> str | None:
    """The channel of the stage that `stage` wakes when it handled work, if any."""
    after = CHAIN.get(stage)
    return channel(after) if after else None
