"""Ticket sinks, one plugin file each, found by name: `bot/delivery/sinks/<plugin>.py` declares `SINK`.

`SINK` is a `SinkPlugin` (its `Settings` section and its `Sink` class), found by
`bot.core.plugins.discover` as every plugin family is. Adding a sink is one new file here plus its
`routing.tickets.sinks.<name>` entry; nothing else lists the plugins.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from bot.core.plugins import discover

if TYPE_CHECKING:
    from bot.delivery.sinks.base import SinkPlugin, SinkSettings


def plugin(name: str, where: str) -> SinkPlugin:
    """The sink plugin `name`, or a ValueError naming the YAML path `where`."""
    if not name.isidentifier() or name == "base":
        raise ValueError(f"{where}.plugin: '{name}' is not a sink plugin")
    found: dict[str, SinkPlugin] = discover(sys.modules[__name__], "SINK")
    if name not in found:
        raise ValueError(f"{where}.plugin: no sink plugin '{name}' in bot/delivery/sinks")
    return found[name]


def plugin_settings(name: str, where: str) -> type[SinkSettings]:
    """The `Settings` class of sink plugin `name`, or a ValueError naming `where`."""
    return plugin(name, where).settings
