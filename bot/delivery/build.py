"""Builds the delivery stages from their config sections: sinks by plugin name, channels by URL scheme."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.clock import utcnow
from bot.delivery.channels import channel_for
from bot.delivery.channels.base import AlertChannel, channel_id
from bot.delivery.escalation import EscalationStage
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.delivery.sinks import plugin
from bot.delivery.sinks.base import TicketSink
from bot.delivery.stage import DeliverStage

if TYPE_CHECKING:
    from bot.store import Store


def build_sinks(tickets: TicketSettings) -> dict[str, TicketSink]:
    """One sink per enabled `routing.tickets.sinks` entry, from its plugin module."""
    sinks: dict[str, TicketSink] = {}
    for name, settings in tickets.enabled_sinks().items():
        found = plugin(settings.plugin or name, f"routing.tickets.sinks.{name}")
        sinks[name] = found.sink(name, settings, timeout_seconds=tickets.retry.timeout_seconds)
    return sinks


def build_channels(alerts: AlertSettings, tiers: Collection[str] | None = None) -> dict[str, AlertChannel]:
    """One channel per distinct URL across the tiers (or only the named ones), keyed by its secret-free id."""
    channels: dict[str, AlertChannel] = {}
    for name, tier in alerts.tiers.items():
        if tiers is not None and name not in tiers:
            continue
        for url in tier.urls:
            if channel_id(url) not in channels:
                channels[channel_id(url)] = channel_for(url, timeout_seconds=alerts.retry.timeout_seconds)
    return channels


def build_delivery_stages(
    store: Store,
    *,
    tickets: TicketSettings,
    alerts: AlertSettings,
    interval_seconds: int = 5,
    feed_base_url: str = "",
    clock: Callable[[], datetime] = utcnow,
    sinks: Mapping[str, TicketSink] | None = None,
    channels: Mapping[str, AlertChannel] | None = None,
) -> list[EscalationStage | DeliverStage]:
    """The escalate and deliver stages (in that order, so escalations go out in the same pass)."""
    deliver = DeliverStage(
        store,
        tickets=tickets,
        alerts=alerts,
        sinks=build_sinks(tickets) if sinks is None else sinks,
        channels=build_channels(alerts) if channels is None else channels,
        feed_url=f"{feed_base_url.rstrip('/')}/alerts",
        clock=clock,
        interval_seconds=interval_seconds,
    )
    escalate = EscalationStage(store, alerts=alerts, clock=clock, interval_seconds=interval_seconds)
    return [escalate, deliver]
