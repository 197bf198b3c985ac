"""Enqueue tickets and alerts: rows in the store first, one outbox row per remote send.

The router calls, inside the transaction that also moves the post to `routed`:

    outbox = Outbox(tickets=routing.tickets, alerts=routing.alerts)   # clock=... to inject time
    ticket_id = outbox.enqueue_ticket(tx, post_id=post_id, request=ticket_request)
    alert_id = outbox.enqueue_alert(tx, post_id=post_id, message=alert_message)

Both only add rows (the caller's transaction commits them). Both are idempotent on the
request's idempotency key: a second call with the same key adds nothing and returns the id
of the ticket or alert the first call made.

Threading: a ticket request becomes a comment on an existing ticket (a `ticket_event` row, plus
an outbox row per enabled sink to comment remotely) when `request.thread_ref` equals a
ticket's `thread_key` or id, or an unresolved ticket exists for `request.incident_id`.
Otherwise a new ticket is opened with `thread_key = request.thread_ref`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.actions import AlertMessage, TicketRequest
from bot.core.clock import utcnow
from bot.core.payloads import AlertSend, TicketOp, TicketSend
from bot.delivery.channels.base import channel_id
from bot.delivery.render import message_to_json
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.store import Transaction


class Outbox:
    """Adds tickets, alerts and their outbox rows to a transaction, per the ticket and alert settings."""

    def __init__(
        self,
        *,
        tickets: TicketSettings | None = None,
        alerts: AlertSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
        shadow: bool = False,
    ) -> None:
        self.tickets = tickets or TicketSettings()
        self.alerts = alerts or AlertSettings()
        self.clock = clock
        self.shadow = shadow  # shadow mode: tickets and alerts recorded as "would have sent", never sent

    def enqueue_ticket(self, tx: Transaction, *, post_id: int, request: TicketRequest) -> int:
        """Open a ticket (or comment on its thread's ticket); returns the ticket id."""
        known = tx.tickets.for_key(request.idempotency_key, post_id)
        if known is not None:
            return known
        now = self.clock()
        parent = tx.tickets.of_thread(request.thread_ref, request.incident_id, shadow=self.shadow)
        if parent is not None:
            event_id = tx.tickets.comment(parent, request, post_id=post_id, now=now)
            self._to_sinks(tx, parent, request, now, op="comment", event_id=event_id)
            return parent
        due = self.tickets.due[request.priority]
        ticket_id = tx.tickets.open(
            request,
            post_id=post_id,
            now=now,
            first_response_due=now + timedelta(minutes=due.first_response_minutes),
            resolution_due=now + timedelta(hours=due.resolution_hours),
            shadow=self.shadow,
        )
        self._to_sinks(tx, ticket_id, request, now, op="open")
        return ticket_id

    def _to_sinks(
        self,
        tx: Transaction,
        ticket_id: int,
        request: TicketRequest,
        now: datetime,
        *,
        op: TicketOp,
        event_id: int | None = None,
    ) -> None:
        """One outbox row per enabled sink: open the ticket there, or comment on it."""
        payload = TicketSend(op=op, ticket_id=ticket_id, request=request, event_id=event_id)
        for sink in self.tickets.enabled_sinks():
            tx.outbox.add(
                ref_id=ticket_id,
                target=sink,
                payload=payload,
                now=now,
                idempotency_key=f"{request.idempotency_key}:{sink}",
                shadow=self.shadow,
            )

    def enqueue_alert(self, tx: Transaction, *, post_id: int, message: AlertMessage) -> int:
        """Store an alert in the feed and one outbox row per channel of its tier; returns the alert id.

        A public reply already linked to the post is kept on the alert at once, and acknowledges it (its rows
        cancelled) when a reply may: as if the respond stage had run after the route stage, not before.
        """
        known = tx.alerts.for_key(message.idempotency_key)
        if known is not None:
            return known
        if message.tier not in self.alerts.tiers:
            raise ValueError(f"alert for unknown tier '{message.tier}' (routing.alerts.tiers)")
        now = self.clock()
        tier = self.alerts.tiers[message.tier]
        alert_id = tx.alerts.add(
            idempotency_key=message.idempotency_key,
            post_id=post_id,
            incident_id=message.incident_id,
            tier=message.tier,
            rule=message.rule,
            message=message_to_json(message),
            sent=not tier.urls,
            next_escalation_at=tier.escalation_due(now),
            now=now,
            reply_acknowledges=message.reply_acknowledges and tier.public_reply_acknowledges,
            shadow=self.shadow,
        )
        add_alert_rows(tx, alert_id, message.idempotency_key, message.tier, 0, self.alerts, now, shadow=self.shadow)
        reply = tx.responses.first_reply(post_id)
        if reply is not None:
            tx.alerts.note_public_reply(alert_id, reply, acknowledges=self.alerts.public_reply_acknowledges)
        return alert_id


def add_alert_rows(
    tx: Transaction,
    alert_id: int,
    alert_key: str,
    tier_name: str,
    level: int,
    alerts: AlertSettings,
    now: datetime,
    *,
    shadow: bool = False,
) -> int:
    """One outbox row per channel of `tier_name` for an alert, deferred past quiet hours; returns how many.

    `shadow`: the alert was raised in shadow mode, so its rows (escalations' included) are never sent.
    """
    tier = alerts.tiers[tier_name]
    start = tier.not_before(now)
    added = 0
    for url in dict.fromkeys(tier.urls):
        target = channel_id(url)
        added += tx.outbox.add(
            ref_id=alert_id,
            target=target,
            not_before=start,
            now=now,
            idempotency_key=f"{alert_key}:L{level}:{target}",
            payload=AlertSend(alert_id=alert_id, tier=tier_name, level=level),
            shadow=shadow,
        )
    return added
