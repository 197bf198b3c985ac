"""Routing: rules, incidents, tickets, alerts and their outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.pipeline import Stage
    from bot.store import Store


def build_stages(config: Config, store: Store) -> list[Stage]:
    """The route stage, then the delivery stages, for the pipeline."""
    from bot.routing.delivery import build_delivery_stages
    from bot.routing.stage import RouteStage

    route = RouteStage(store, config.routing, brand_name=config.brand.name, brand_handles=config.brand.handles,
                       batch_size=config.pipeline.batch_size, interval_seconds=config.pipeline.route_interval_seconds)
    return [route, *build_delivery_stages(config, store)]
