"""Config section for routing (`routing:` in config.yaml)."""

from __future__ import annotations

from bot.settings_base import Section


class RoutingSettings(Section):
    """`routing:` — rules, ticket sinks and alert channels."""
