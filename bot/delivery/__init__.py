"""Delivery: the outbox, the deliver and escalate stages, ticket sinks and alert channels.

outbox = Outbox(tickets=routing.tickets, alerts=routing.alerts)
with store.transaction() as tx:
    outbox.enqueue_ticket(tx, post_id=..., request=...)
stages = build_delivery_stages(store, tickets=..., alerts=..., interval_seconds=...)
acknowledge(store, alert_id, "dana")  # also resolve(...), snooze(..., until=...)
"""

from bot.delivery.build import build_channels, build_delivery_stages, build_sinks
from bot.delivery.escalation import EscalationStage, acknowledge, resolve, snooze
from bot.delivery.outbox import Outbox
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.delivery.stage import DeliverStage

__all__ = [
    "AlertSettings",
    "DeliverStage",
    "EscalationStage",
    "Outbox",
    "TicketSettings",
    "acknowledge",
    "build_channels",
    "build_delivery_stages",
    "build_sinks",
    "resolve",
    "snooze",
]
