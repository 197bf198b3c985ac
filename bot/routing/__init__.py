"""Routing: rules, incidents, tickets, alerts and their outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.pipeline import Stage
    from bot.store import Store


def build_stages(config: Config, store: Store) -> list[Stage]:
    """The route stage, then the delivery stages, for the pipeline."""
    from bot.routing.stage import RouteStage

    try:
        from bot.routing.delivery import build_delivery_stages
    except ModuleNotFoundError as err:  # TEMPORARY until bot/routing/delivery.py lands
        if err.name != "bot.routing.delivery":
            raise
        return [RouteStage(config, store)]
    return [RouteStage(config, store), *build_delivery_stages(config, store)]
