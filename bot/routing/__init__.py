"""Routing: rules, incidents, tickets, alerts and their outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.config import Config
    from bot.app.pipeline import Stage
    from bot.store import Store


def build_stages(config: Config, store: Store) -> list[Stage]:
    """The route stage, then the delivery stages, for the pipeline."""
    from bot.routing.delivery import build_delivery_stages
    from bot.routing.stage import RouteStage

    return [RouteStage(config, store), *build_delivery_stages(config, store)]
