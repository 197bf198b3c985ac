"""Routing: rules, incidents, tickets, alerts and their outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.pipeline import Stage
    from bot.store import Store


def build_stages(config: Config, store: Store) -> list[Stage]:
    """The route stage, then the delivery stages, for the pipeline."""
    from bot.delivery import build_delivery_stages
    from bot.routing.stage import RouteStage

    routing = config.routing
    return [RouteStage(config, store),
            *build_delivery_stages(store, tickets=routing.tickets, alerts=routing.alerts,
                                   interval_seconds=config.pipeline.deliver_interval_seconds,
                                   feed_base_url=routing.feed_base_url)]
