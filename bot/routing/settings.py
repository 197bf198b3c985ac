"""Config section for routing (`routing:` in config.yaml)."""

from __future__ import annotations

from bot.routing.delivery_settings import AlertSettings, TicketSettings
from bot.settings_base import Section


class RoutingSettings(Section):
    """`routing:` — rules, incidents, ticket sinks and alert channels."""

    tickets: TicketSettings = TicketSettings()
    alerts: AlertSettings = AlertSettings()
