"""The one list of sources, derived from the folders under `connectors/`.

Every package `connectors/<name>/` that declares `SOURCE` (a `connectors.base.Source`: its config
section, a `SourceSettings` whose every key has a default; `problems(settings, context)`, what would
stop it from starting; `build(settings, context) -> Connector`, which refuses those problems with a
ConfigError; its display name and chart colour) is the source `<name>`, configured under
`connectors.<name>` in config.yaml. Found by `bot.core.plugins.discover`, as every plugin family is.
Adding a source is one new folder plus its config entry: nothing here or elsewhere lists them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import create_model

import connectors
from bot.core.plugins import discover
from bot.core.section import Section
from connectors.base import Connector, Source, SourceContext
from connectors.settings import EngagementSettings, SourceSettings

SOURCES: dict[str, Source] = discover(connectors, "SOURCE", folders=True)  # by package name


class SourceSections(Section):
    """`connectors:` — one section per source in SOURCES, plus engagement re-polling."""

    engagement: EngagementSettings = EngagementSettings()

    def source(self, name: str) -> SourceSettings:
        """The section of the source `name`."""
        section: SourceSettings = getattr(self, name)
        return section


if TYPE_CHECKING:
    ConnectorsSettings = SourceSections
else:
    ConnectorsSettings = create_model(
        "ConnectorsSettings",
        __base__=SourceSections,
        __module__=__name__,
        __doc__=SourceSections.__doc__,
        **{name: (source.settings, source.settings()) for name, source in SOURCES.items()},
    )


class _Brand(Protocol):
    @property
    def handles(self) -> list[str]: ...

    @property
    def responders(self) -> dict[str, list[str]]: ...


class AppConfig(Protocol):
    """What the registry reads of the whole config (bot.app.config.Config fits it)."""

    @property
    def brand(self) -> _Brand: ...

    @property
    def connectors(self) -> ConnectorsSettings: ...

    def resolve(self, path: str | Path) -> Path: ...


def source_names() -> tuple[str, ...]:
    """Every source Earshot has a connector for."""
    return tuple(SOURCES)


def display_names() -> dict[str, str]:
    """Each source's display name, as its package declares it."""
    return {name: source.display_name for name, source in SOURCES.items()}


def colours() -> dict[str, str]:
    """Each source's chart colour, as its package declares it."""
    return {name: source.colour for name, source in SOURCES.items()}


def enabled_sources(settings: ConnectorsSettings) -> list[str]:
    """The sources switched on in `connectors:`."""
    return [name for name in SOURCES if settings.source(name).enabled]


def source_context(config: AppConfig) -> SourceContext:
    """What a source is given besides its section: brand handles, the path resolver, the environment."""
    return SourceContext(
        brand_handles=tuple(config.brand.handles),
        responders={source: tuple(handles) for source, handles in config.brand.responders.items()},
        resolve=config.resolve,
        env=dict(os.environ),
    )


def problems(config: AppConfig) -> list[str]:
    """What would stop an enabled source from starting, one line each naming its YAML path; creates nothing."""
    context = source_context(config)
    return [
        line
        for name in enabled_sources(config.connectors)
        for line in SOURCES[name].problems(config.connectors.source(name), context)
    ]


def build_connectors(config: AppConfig) -> list[Connector]:
    """One connector per enabled source; ConfigError for the first source that cannot start."""
    context = source_context(config)
    return [SOURCES[name].build(config.connectors.source(name), context) for name in enabled_sources(config.connectors)]
