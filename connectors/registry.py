"""The one list of sources, derived from the folders under `connectors/`.

Every package `connectors/<name>/` is the source `<name>`, configured under `connectors.<name>`
in config.yaml. It exposes `Settings` (its config section, a `SourceSettings` whose every key has a
default), `problems(settings, context) -> list[str]` (what would stop it from starting) and
`build(settings, context) -> Connector` (which refuses those problems with a ConfigError), and
may declare `DISPLAY_NAME` and `COLOUR` (how the feed, charts and the digest show it).
Adding a source is one new folder plus its config entry: nothing here or elsewhere lists them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import create_model

import connectors
from bot.core.section import Section
from connectors.base import Connector, SourceContext
from connectors.settings import EngagementSettings, SourceSettings


@dataclass(frozen=True, kw_only=True)
class Source:
    """One source: its name (the config key and cursor key), its config section, its factory."""

    name: str
    settings: type[SourceSettings]
    problems: Callable[[Any, SourceContext], list[str]]
    build: Callable[[Any, SourceContext], Connector]
    display_name: str  # how people see it: the feed, the digest ("X", "Bluesky")
    colour: str  # its colour in charts


def _discover() -> dict[str, Source]:
    """Every package under connectors/, in name order."""
    found = {}
    for module in sorted(pkgutil.iter_modules(connectors.__path__), key=lambda m: m.name):
        if module.ispkg:
            package = importlib.import_module(f"{connectors.__name__}.{module.name}")
            found[module.name] = Source(
                name=module.name,
                settings=package.Settings,
                problems=package.problems,
                build=package.build,
                display_name=getattr(package, "DISPLAY_NAME", module.name.capitalize()),
                colour=getattr(package, "COLOUR", "#6d28d9"),
            )
    return found


SOURCES: dict[str, Source] = _discover()


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
