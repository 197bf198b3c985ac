"""Ticket sinks, one plugin file each, found by name: `bot/delivery/sinks/<plugin>.py` defines `Settings` and `Sink`.

Adding a sink is one new file here plus its `routing.tickets.sinks.<name>` entry; nothing
else lists the plugins.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.delivery.sinks.base import SinkSettings

_NOT_PLUGINS = ("base",)


def plugin(name: str, where: str) -> ModuleType:
    """The sink plugin module `name`, or a ValueError naming the YAML path `where`."""
    if not name.isidentifier() or name in _NOT_PLUGINS:
        raise ValueError(f"{where}.plugin: '{name}' is not a sink plugin")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{name}":
            raise  # the plugin exists but a library it needs is missing
        raise ValueError(f"{where}.plugin: no sink plugin '{name}' in bot/delivery/sinks") from None


def plugin_settings(name: str, where: str) -> type[SinkSettings]:
    """The `Settings` class of sink plugin `name`, or a ValueError naming `where`."""
    from bot.delivery.sinks.base import SinkSettings

    settings = getattr(plugin(name, where), "Settings", None)
    if not (isinstance(settings, type) and issubclass(settings, SinkSettings)):
        raise ValueError(f"{where}.plugin: bot/delivery/sinks/{name}.py defines no Settings")
    return settings
