"""The outbox (`tx.outbox`): every send still to make, made, held or given up; the outbox rows' one writer.

Routing enqueues (`add`); the deliver stage claims, locks and records rows; the escalate stage folds rows the
hourly cap held into summaries. What a send means for its alert or ticket, the outbox asks of their owners
(`tx.alerts.mark_sent`, `tx.tickets.set_ref`); an acknowledged alert asks the outbox to cancel its unsent rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from bot.core.payloads import OutboxPayload, SummarySend, TicketSend, payload_from_json
from bot.store.delivery_records import SUMMARY_PREFIX, OutboxItem
from bot.store.delivery_tables import OutboxRow
from bot.store.ops.base import Owner
from bot.store.ops.tickets import Tickets

if TYPE_CHECKING:
    from bot.store.ops.alerts import Alerts

DUE = ("pending", "sending")
LIVE = ("pending", "sending", "sent", "held", "summarized")
UNSENT = ("pending", "held")  # rows a silence cancels (a retry waits as `pending`)


class Outbox(Owner):
    """Outbox rows of alerts and tickets: enqueued, claimed, sent, retried, held, summarized, cancelled."""

    def __init__(self, session: Session, now: datetime, *, tickets: Tickets) -> None:
        super().__init__(session, now)
        self.tickets = tickets
        self.alerts: Alerts  # set by the Transaction: the two ask each other

    # --- enqueueing ---------------------------------------------------------------------

    def add(
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

    def due_ids(self, limit: int) -> list[int]:
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

    def item(self, row_id: int) -> OutboxItem | None:
        row = self.session.get(OutboxRow, row_id)
        return _item(row) if row is not None else None

    def lock(self, row_id: int) -> OutboxItem | None:
        """The outbox row, locked until the transaction ends; None if gone or another process holds it."""
        row = self.session.exec(
            select(OutboxRow).where(OutboxRow.id == row_id).with_for_update(skip_locked=True)
        ).first()
        return _item(row) if row is not None else None

    def due_by_target(self, limit: int) -> dict[str, list[int]]:
        """Ids of the rows due now, oldest first, up to `limit` per target, skipping rows being sent elsewhere."""
        due = (col(OutboxRow.status).in_(DUE), OutboxRow.next_attempt_at <= self.now)
        targets = self.session.exec(select(OutboxRow.target).where(*due).distinct()).all()
        found: dict[str, list[int]] = {}
        for target in sorted(targets):
            ids = self.session.exec(
                select(OutboxRow.id)
                .where(OutboxRow.target == target, *due)
                .order_by(col(OutboxRow.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            found[target] = [row_id for row_id in ids if row_id is not None]
        return found

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

    def hold(self, row_id: int, *, until: datetime, reason: str) -> None:
        self._set(row_id, status="held", next_attempt_at=until, last_error=reason)

    def cancel(self, row_id: int, *, reason: str) -> None:
        self._set(row_id, status="cancelled", last_error=reason)

    def claim(self, row_id: int, *, attempts: int, lease_until: datetime) -> bool:
        """Mark a due row `sending` (attempts + 1) unless another deliverer or an ack moved it first."""
        claimed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(OutboxRow)
            .where(col(OutboxRow.id) == row_id, col(OutboxRow.attempts) == attempts, col(OutboxRow.status).in_(DUE))
            .values(status="sending", attempts=attempts + 1, next_attempt_at=lease_until)
        )
        return claimed.rowcount == 1

    def record_sent(self, item: OutboxItem, ref: str | None) -> None:
        """The row went out: the ticket owner keeps its remote ref, or the alert owner marks its alerts sent."""
        self._set(item.id, status="sent", sent_at=self.now, external_ref=ref, last_error=None)
        if isinstance(item.payload, TicketSend) and item.payload.op == "open" and ref:
            self.tickets.set_ref(item.ref_id, item.target, ref)
        elif item.kind == "alert":
            self.alerts.mark_sent(item.alert_ids)

    def schedule_retry(self, row_id: int, *, at: datetime, error: str | None) -> None:
        self._set(row_id, status="pending", next_attempt_at=at, last_error=error)

    def record_dead(self, item: OutboxItem, error: str | None) -> None:
        """The row failed for good; an alert none of whose channels can still deliver it is `failed`."""
        self._set(item.id, status="dead", last_error=error)
        if item.kind != "alert" or item.is_summary:
            return
        self.session.flush()
        live = self.session.exec(
            select(OutboxRow.id).where(
                OutboxRow.kind == "alert", OutboxRow.ref_id == item.ref_id, col(OutboxRow.status).in_(LIVE)
            )
        ).first()
        if live is None:
            self.alerts.mark_failed(item.ref_id)

    # --- escalating and silencing -------------------------------------------------------

    def held_due(self) -> list[OutboxItem]:
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
        self.add(ref_id=first.ref_id, target=first.target, idempotency_key=idempotency_key, payload=payload)
        for item in held:
            self._set(item.id, status="summarized")

    def cancel_unsent(self, alert_id: int, reason: str) -> None:
        """Cancel every unsent row of the alert, its escalations' included (summaries aside): it was acknowledged,
        resolved or snoozed (`tx.alerts`)."""
        unsent = self.session.exec(
            select(OutboxRow).where(
                OutboxRow.kind == "alert",
                OutboxRow.ref_id == alert_id,
                col(OutboxRow.status).in_(UNSENT),
                ~col(OutboxRow.idempotency_key).startswith(SUMMARY_PREFIX),
            )
        ).all()
        for row in unsent:
            row.status, row.last_error = "cancelled", reason
            self.session.add(row)

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
