"""Alert operations a human triggers: acknowledge, resolve, snooze; and the silence delivery re-checks.

Each one cancels every unsent row (pending, held by quiet hours or the cap, waiting for a retry)
of the alert and of its escalations. `silence_of` reads the alerts locked (FOR SHARE on
PostgreSQL), so an ack and the claim of one of its rows never interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from bot.store.delivery_records import SUMMARY_PREFIX, AlertState
from bot.store.delivery_tables import AlertRow, OutboxRow
from bot.store.ops.base import Ops

UNSENT = ("pending", "held")  # rows a silence cancels (a retry waits as `pending`)


class AlertOps(Ops):
    """Acknowledging, resolving and snoozing alerts."""

    def acknowledge_alert(self, alert_id: int, by: str) -> tuple[AlertState, bool] | None:
        """Acknowledge an alert (the first ack wins), stop its escalation, cancel its unsent rows;
        returns the alert and whether this call acknowledged it, None if no such alert."""
        alert = self.session.get(AlertRow, alert_id)
        if alert is None:
            return None
        if alert.acked_at is not None:
            return to_alert_state(alert), False
        alert.acked_at, alert.acked_by, alert.status, alert.next_escalation_at = self.now, by, "acked", None
        self.session.add(alert)
        self._cancel_unsent(alert_id, f"acknowledged by {by}")
        return to_alert_state(alert), True

    def resolve_alert(self, alert_id: int, by: str) -> tuple[AlertState, bool] | None:
        """Resolve an alert (acknowledging it too, if nobody had), stop its escalation, cancel its
        unsent rows; returns the alert and whether this call resolved it, None if no such alert."""
        alert = self.session.get(AlertRow, alert_id)
        if alert is None:
            return None
        if alert.resolved_at is not None:
            return to_alert_state(alert), False
        if alert.acked_at is None:
            alert.acked_at, alert.acked_by = self.now, by
        alert.resolved_at, alert.resolved_by, alert.status, alert.next_escalation_at = self.now, by, "resolved", None
        self.session.add(alert)
        self._cancel_unsent(alert_id, f"resolved by {by}")
        return to_alert_state(alert), True

    def snooze_alert(self, alert_id: int, by: str, *, until: datetime) -> AlertState | None:
        """Silence an unacknowledged alert until `until`: its unsent rows are cancelled and its
        escalation waits for the snooze to end (then it climbs, unless someone acked meanwhile).
        An acknowledged or resolved alert is returned unchanged; None if no such alert."""
        alert = self.session.get(AlertRow, alert_id)
        if alert is None:
            return None
        if alert.acked_at is not None or until <= self.now:
            return to_alert_state(alert)
        alert.snoozed_until, alert.snoozed_by = until, by
        if alert.next_escalation_at is not None:
            alert.next_escalation_at = max(alert.next_escalation_at, until)
        self.session.add(alert)
        self._cancel_unsent(alert_id, f"snoozed by {by} until {until:%Y-%m-%d %H:%M} UTC")
        return to_alert_state(alert)

    def silence_of(self, alert_ids: Sequence[int]) -> str | None:
        """Why none of these alerts may go out now (all acked, resolved or snoozed), else None.

        Read with a shared lock in the transaction that claims their row: an ack waits for the
        claim to commit, or the claim sees the ack.
        """
        rows = self.session.exec(
            select(AlertRow).where(col(AlertRow.id).in_(sorted(set(alert_ids)))).with_for_update(read=True)
        ).all()
        reasons = [to_alert_state(row).silenced(self.now) for row in rows]
        if not reasons or None in reasons or len(rows) < len(set(alert_ids)):
            return None
        return reasons[0]

    def _cancel_unsent(self, alert_id: int, reason: str) -> None:
        """Cancel every unsent row of the alert, its escalations' included (summaries aside)."""
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


def to_alert_state(row: AlertRow) -> AlertState:
    assert row.id is not None
    fields = {name: getattr(row, name) for name in AlertState.__dataclass_fields__}
    return AlertState(**{**fields, "message": dict(row.message)})
