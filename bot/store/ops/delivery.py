"""Delivery operations: alerts and their outbox rows (tickets are `ops/tickets.py`).

The outbox enqueues through `add_alert` and `add_outbox_row`; the deliver stage claims and
records rows; the escalate stage moves alerts up their tiers and folds capped rows into
summaries (acknowledging lives in `ops/alerts.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, update
from sqlmodel import col, select

from bot.core.payloads import OutboxPayload, SummarySend, TicketSend, payload_from_json
from bot.store.delivery_records import SUMMARY_PREFIX, AlertState, OutboxItem
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketRow
from bot.store.ops.alerts import to_alert_state
from bot.store.ops.base import Ops

DUE = ("pending", "sending")
LIVE = ("pending", "sending", "sent", "held", "summarized")


class DeliveryOps(Ops):
    """Alerts and the outbox rows of alerts and tickets."""

    # --- enqueueing ---------------------------------------------------------------------

    def alert_for_key(self, key: str) -> int | None:
        """The alert already stored for this idempotency key."""
        return self.session.exec(select(AlertRow.id).where(AlertRow.idempotency_key == key)).first()

    def add_alert(
        self,
        *,
        idempotency_key: str,
        post_id: int,
        incident_id: int | None,
        tier: str,
        rule: str,
        message: dict[str, Any],
        sent: bool,
        next_escalation_at: datetime | None,
        now: datetime | None = None,
        reply_acknowledges: bool = True,
        shadow: bool = False,
    ) -> int:
        """A new alert in the feed (`sent` already when its tier has no channel); returns its id.

        `reply_acknowledges=False`: a public reply to its post is shown on it, never acknowledges it.
        `shadow`: raised in shadow mode, status `shadow` ("would have sent").
        """
        now = now or self.now
        status = "shadow" if shadow else "sent" if sent else "pending"
        alert = AlertRow(
            idempotency_key=idempotency_key,
            post_id=post_id,
            incident_id=incident_id,
            tier=tier,
            current_tier=tier,
            rule=rule,
            message=message,
            status=status,
            created_at=now,
            sent_at=now if status == "sent" else None,
            escalation_level=0,
            next_escalation_at=next_escalation_at,
            reply_acknowledges=reply_acknowledges,
            shadow=shadow,
        )
        self.session.add(alert)
        self.session.flush()
        assert alert.id is not None
        return alert.id

    def add_outbox_row(
        self,
        *,
        ref_id: int,
        target: str,
        idempotency_key: str,
        payload: OutboxPayload,
        not_before: datetime | None = None,
        now: datetime | None = None,
        shadow: bool = False,
    ) -> bool:
        """One pending send, due at `not_before` (default now); False if the key is already there.

        `shadow`: recorded as "would have sent" (status `shadow`), never due, never sent.
        """
        now = now or self.now
        if self.session.exec(select(OutboxRow.id).where(OutboxRow.idempotency_key == idempotency_key)).first():
            return False
        self.session.add(
            OutboxRow(
                kind=payload.kind,
                ref_id=ref_id,
                target=target,
                payload=payload.to_json(),
                idempotency_key=idempotency_key,
                status="shadow" if shadow else "pending",
                attempts=0,
                next_attempt_at=not_before or now,
                created_at=now,
            )
        )
        return True

    # --- delivering ---------------------------------------------------------------------

    def due_outbox_ids(self, limit: int) -> list[int]:
        """Ids of the rows due now, oldest first."""
        ids = self.session.exec(
            select(OutboxRow.id)
            .where(
                col(OutboxRow.status).in_(DUE),
                OutboxRow.next_attempt_at <= self.now,
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
        ).all()
        return [row_id for row_id in ids if row_id is not None]

    def resume_sending(self) -> int:
        """Make rows a crashed run left in `sending` due now; returns how many."""
        stuck = self.session.exec(  # a row another live process is sending is locked: skipped
            select(OutboxRow).where(OutboxRow.status == "sending").with_for_update(skip_locked=True)
        ).all()
        for row in stuck:
            row.next_attempt_at = self.now
            self.session.add(row)
        return len(stuck)

    def outbox_item(self, row_id: int) -> OutboxItem | None:
        row = self.session.get(OutboxRow, row_id)
        return _item(row) if row is not None else None

    def made_in_shadow(self, *, alert_id: int | None, ticket_id: int | None) -> bool:
        """Whether the alert or ticket of a decision was recorded in shadow mode ("would have sent")."""
        alert = self.session.get(AlertRow, alert_id) if alert_id is not None else None
        ticket = self.session.get(TicketRow, ticket_id) if ticket_id is not None else None
        return bool((alert and alert.shadow) or (ticket and ticket.shadow))

    def alert_state(self, alert_id: int) -> AlertState | None:
        row = self.session.get(AlertRow, alert_id)
        return to_alert_state(row) if row is not None else None

    def alerts_sent_since(self, target: str, start: datetime) -> int:
        """How many alerts (summaries aside) `target` sent since `start`."""
        return int(
            self.session.exec(
                select(func.count())
                .select_from(OutboxRow)
                .where(
                    OutboxRow.target == target,
                    OutboxRow.kind == "alert",
                    OutboxRow.status == "sent",
                    col(OutboxRow.sent_at) >= start,
                    ~col(OutboxRow.idempotency_key).startswith(SUMMARY_PREFIX),
                )
            ).one()
        )

    def hold_outbox_row(self, row_id: int, *, until: datetime, reason: str) -> None:
        self._set(row_id, status="held", next_attempt_at=until, last_error=reason)

    def cancel_outbox_row(self, row_id: int, *, reason: str) -> None:
        self._set(row_id, status="cancelled", last_error=reason)

    def claim_outbox_row(self, row_id: int, *, attempts: int, lease_until: datetime) -> bool:
        """Mark a due row `sending` (attempts + 1) unless another deliverer or an ack moved it first."""
        claimed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(OutboxRow)
            .where(col(OutboxRow.id) == row_id, col(OutboxRow.attempts) == attempts, col(OutboxRow.status).in_(DUE))
            .values(status="sending", attempts=attempts + 1, next_attempt_at=lease_until)
        )
        return claimed.rowcount == 1

    def record_sent(self, item: OutboxItem, ref: str | None) -> None:
        """The row went out: write the remote ref back to the ticket, or mark its alerts sent."""
        self._set(item.id, status="sent", sent_at=self.now, external_ref=ref, last_error=None)
        if isinstance(item.payload, TicketSend) and item.payload.op == "open" and ref:
            ticket = self.session.get(TicketRow, item.ref_id)
            if ticket is not None:
                ticket.external_refs = {**ticket.external_refs, item.target: ref}
                ticket.updated_at = self.now
                self.session.add(ticket)
        elif item.kind == "alert":
            for alert_id in item.alert_ids:
                alert = self.session.get(AlertRow, alert_id)
                if alert is not None and alert.status in ("pending", "failed"):
                    alert.status, alert.sent_at = "sent", alert.sent_at or self.now
                    self.session.add(alert)

    def schedule_retry(self, row_id: int, *, at: datetime, error: str | None) -> None:
        self._set(row_id, status="pending", next_attempt_at=at, last_error=error)

    def record_dead(self, item: OutboxItem, error: str | None) -> None:
        """The row failed for good; an alert none of whose channels can still deliver it is `failed`."""
        self._set(item.id, status="dead", last_error=error)
        if item.kind != "alert" or item.is_summary:
            return
        self.session.flush()
        alert = self.session.get(AlertRow, item.ref_id)
        live = self.session.exec(
            select(OutboxRow.id).where(
                OutboxRow.kind == "alert", OutboxRow.ref_id == item.ref_id, col(OutboxRow.status).in_(LIVE)
            )
        ).first()
        if alert is not None and alert.status == "pending" and live is None:
            alert.status = "failed"
            self.session.add(alert)

    # --- escalating ---------------------------------------------------------------------

    def overdue_alerts(self, limit: int = 200) -> list[AlertState]:
        """Unacknowledged alerts whose escalation is due now, oldest first."""
        rows = self.session.exec(
            select(AlertRow)
            .where(
                col(AlertRow.acked_at).is_(None),
                col(AlertRow.next_escalation_at).is_not(None),
                col(AlertRow.next_escalation_at) <= self.now,
            )
            .order_by(col(AlertRow.id))
            .limit(limit)
        ).all()
        return [to_alert_state(row) for row in rows]

    def escalate_alert(self, alert_id: int, *, tier: str | None, next_escalation_at: datetime | None) -> int:
        """Move an alert one level up to `tier` (None: the chain ended, stop); returns its level."""
        alert = self.session.get(AlertRow, alert_id)
        assert alert is not None, f"no alert {alert_id}"
        if tier is not None:
            alert.escalation_level += 1
            alert.current_tier = tier
        alert.next_escalation_at = next_escalation_at
        self.session.add(alert)
        self.session.flush()
        return alert.escalation_level

    def held_outbox_due(self) -> list[OutboxItem]:
        """Rows the hourly cap held whose hour is over, oldest first."""
        rows = self.session.exec(
            select(OutboxRow)
            .where(OutboxRow.status == "held", OutboxRow.next_attempt_at <= self.now)
            .order_by(col(OutboxRow.id))
        ).all()
        return [_item(row) for row in rows]

    def summarize(self, held: Sequence[OutboxItem], *, idempotency_key: str, payload: SummarySend) -> None:
        """One summary row standing in for `held` (all one channel's); they become `summarized`."""
        first = held[0]
        self.add_outbox_row(ref_id=first.ref_id, target=first.target, idempotency_key=idempotency_key, payload=payload)
        for item in held:
            self._set(item.id, status="summarized")

    def _set(self, row_id: int, **values: Any) -> None:
        row = self.session.get(OutboxRow, row_id)
        assert row is not None, f"no outbox row {row_id}"
        for name, value in values.items():
            setattr(row, name, value)
        self.session.add(row)


def _item(row: OutboxRow) -> OutboxItem:
    assert row.id is not None
    return OutboxItem(
        id=row.id,
        kind=row.kind,
        ref_id=row.ref_id,
        target=row.target,
        payload=payload_from_json(row.kind, row.payload),
        idempotency_key=row.idempotency_key,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        external_ref=row.external_ref,
    )
