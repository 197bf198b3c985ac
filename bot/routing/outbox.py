"""Enqueue tickets and alerts: rows in the store first, one outbox row per remote send.

The router calls, inside the session that also moves the post to `routed`:

    outbox = Outbox(config.routing)                      # clock=... to inject time
    ticket_id = outbox.enqueue_ticket(session, post_id=post_id, request=ticket_request)
    alert_id = outbox.enqueue_alert(session, post_id=post_id, message=alert_message)

Both only `session.add` (and flush for ids); the caller commits. Both are idempotent on the
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
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from bot.routing.channels.base import channel_id
from bot.routing.channels.message import message_to_json
from bot.routing.delivery_settings import AlertSettings, TicketSettings
from bot.routing.sinks.base import request_to_json
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketEventRow, TicketRow
from bot.core.actions import AlertMessage, TicketRequest
from bot.core.clock import utcnow

if TYPE_CHECKING:
    from bot.routing.settings import RoutingSettings


class Outbox:
    """Adds tickets, alerts and their outbox rows to a session, per the routing config."""

    def __init__(self, routing: RoutingSettings | None = None, *, tickets: TicketSettings | None = None,
                 alerts: AlertSettings | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.tickets = tickets or (routing.tickets if routing else TicketSettings())
        self.alerts = alerts or (routing.alerts if routing else AlertSettings())
        self.clock = clock

    # --- tickets ------------------------------------------------------------------------

    def enqueue_ticket(self, session: Session, *, post_id: int, request: TicketRequest) -> int:
        """Open a ticket (or comment on its thread's ticket); returns the ticket id."""
        known = _known_ticket(session, request.idempotency_key)
        if known is not None:
            return known
        now = self.clock()
        parent = self._thread_ticket(session, request)
        if parent is not None:
            return self._comment(session, parent, post_id, request, now)
        due = self.tickets.due[request.priority]
        ticket = TicketRow(
            idempotency_key=request.idempotency_key, post_id=post_id, incident_id=request.incident_id,
            queue=request.queue, priority=request.priority, status="new", subject=request.subject,
            body=request.body, post_url=request.post_url,
            first_response_due=now + timedelta(minutes=due.first_response_minutes),
            resolution_due=now + timedelta(hours=due.resolution_hours),
            thread_key=request.thread_ref, external_refs={}, created_at=now, updated_at=now,
        )
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        for sink in self.tickets.enabled_sinks():
            session.add(_row("ticket", ticket.id, sink, f"{request.idempotency_key}:{sink}", now,
                             {"op": "open", "ticket_id": ticket.id, "request": request_to_json(request)}))
        return ticket.id

    def _comment(self, session: Session, ticket: TicketRow, post_id: int, request: TicketRequest,
                 now: datetime) -> int:
        assert ticket.id is not None
        event = TicketEventRow(ticket_id=ticket.id, idempotency_key=request.idempotency_key, post_id=post_id,
                               kind="comment", body=request.body, author=request.author_handle, created_at=now)
        session.add(event)
        ticket.updated_at = now
        if ticket.status == "resolved":
            ticket.status = "open"  # a follow-up on a closed problem reopens it
        session.add(ticket)
        session.flush()
        for sink in self.tickets.enabled_sinks():
            session.add(_row("ticket", ticket.id, sink, f"{request.idempotency_key}:{sink}", now,
                             {"op": "comment", "ticket_id": ticket.id, "event_id": event.id,
                              "request": request_to_json(request)}))
        return ticket.id

    @staticmethod
    def _thread_ticket(session: Session, request: TicketRequest) -> TicketRow | None:
        """The ticket this request follows up on, if any."""
        ref = request.thread_ref
        if ref:
            found = session.exec(select(TicketRow).where(TicketRow.thread_key == ref)
                                 .order_by(col(TicketRow.id))).first()
            if found is None and ref.isdigit():
                found = session.get(TicketRow, int(ref))
            if found is not None:
                return found
        if request.incident_id is not None:
            return session.exec(select(TicketRow).where(TicketRow.incident_id == request.incident_id,
                                                        TicketRow.status != "resolved")
                                .order_by(col(TicketRow.id))).first()
        return None

    # --- alerts -------------------------------------------------------------------------

    def enqueue_alert(self, session: Session, *, post_id: int, message: AlertMessage) -> int:
        """Store an alert in the feed and one outbox row per channel of its tier; returns the alert id."""
        known = session.exec(select(AlertRow.id).where(AlertRow.idempotency_key == message.idempotency_key)).first()
        if known is not None:
            return known
        if message.tier not in self.alerts.tiers:
            raise ValueError(f"alert for unknown tier '{message.tier}' (routing.alerts.tiers)")
        now = self.clock()
        tier = self.alerts.tiers[message.tier]
        alert = AlertRow(
            idempotency_key=message.idempotency_key, post_id=post_id, incident_id=message.incident_id,
            tier=message.tier, current_tier=message.tier, rule=message.rule, message=message_to_json(message),
            status="pending" if tier.urls else "sent", created_at=now, sent_at=None if tier.urls else now,
            escalation_level=0, next_escalation_at=tier.escalation_due(now),
        )
        session.add(alert)
        session.flush()
        assert alert.id is not None
        add_alert_rows(session, alert, message.tier, 0, self.alerts, now)
        return alert.id


def add_alert_rows(session: Session, alert: AlertRow, tier_name: str, level: int, alerts: AlertSettings,
                   now: datetime) -> int:
    """One outbox row per channel of `tier_name` for `alert`, deferred past quiet hours; returns how many."""
    assert alert.id is not None
    tier = alerts.tiers[tier_name]
    start = tier.not_before(now)
    added = 0
    for url in dict.fromkeys(tier.urls):
        target = channel_id(url)
        key = f"{alert.idempotency_key}:L{level}:{target}"
        if session.exec(select(OutboxRow.id).where(OutboxRow.idempotency_key == key)).first() is None:
            session.add(_row("alert", alert.id, target, key, now,
                             {"alert_id": alert.id, "tier": tier_name, "level": level}, start))
            added += 1
    return added


def _row(kind: str, ref_id: int, target: str, key: str, now: datetime, payload: dict[str, object],
         start: datetime | None = None) -> OutboxRow:
    return OutboxRow(kind=kind, ref_id=ref_id, target=target, payload=payload, idempotency_key=key,
                     status="pending", attempts=0, next_attempt_at=start or now, created_at=now)


def _known_ticket(session: Session, key: str) -> int | None:
    """The ticket a request with this idempotency key already opened or commented on."""
    ticket_id = session.exec(select(TicketRow.id).where(TicketRow.idempotency_key == key)).first()
    if ticket_id is None:
        ticket_id = session.exec(select(TicketEventRow.ticket_id)
                                 .where(TicketEventRow.idempotency_key == key)).first()
    return ticket_id
