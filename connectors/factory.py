"""Builds the enabled connectors: `connectors.<name>` in config.yaml → module `connectors/<name>.py`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from connectors.base import Connector

if TYPE_CHECKING:
    from bot.app.config import Config

NOT_SOURCES = {"engagement"}  # sections of `connectors:` that configure no source


def build_connectors(config: Config) -> list[Connector]:
    """One connector per enabled source; each module exposes `build(settings, config)`."""
    connectors = []
    for name in type(config.connectors).model_fields:
        settings = getattr(config.connectors, name)
        if name in NOT_SOURCES or not settings.enabled:
            continue
        module = importlib.import_module(f"connectors.{name}")
        connectors.append(module.build(settings, config))
    return connectors
