"""Config for ticket sinks and alert channels (`routing.tickets`, `routing.alerts`)."""

from __future__ import annotations

from bot.settings_base import Section


class TicketSettings(Section):
    """`routing.tickets:` — the built-in queue's due times and the external ticket sinks."""


class AlertSettings(Section):
    """`routing.alerts:` — responder tiers, their apprise URLs, escalation, quiet hours, caps."""
