"""Alert operations a human triggers: acknowledge, resolve, snooze; a public reply; the silence delivery re-checks.

Each of the first three cancels every unsent row (pending, held by quiet hours or the cap, waiting
for a retry) of the alert and of its escalations. A public reply is kept on the alert and
acknowledges it only when the alert allows it (never the safety override's). `silence_of` reads the
alerts locked (FOR SHARE on PostgreSQL), so an ack and the claim of one of its rows never interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from bot.core.actions import PublicReply, acknowledger_of_reply
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

    def note_public_reply(self, alert_id: int, reply: PublicReply, *, acknowledges: bool) -> bool:
        """Keep the brand's first public reply on the alert; with `acknowledges`, it also acknowledges an
        alert that allows it (`reply_acknowledges`). Returns whether this call acknowledged it."""
        alert = self.session.get(AlertRow, alert_id)
        if alert is None:
            return False
        if alert.reply_at is None:
            alert.reply_by, alert.reply_at, alert.reply_url, alert.reply_text = (
                reply.responder,
                reply.at,
                reply.url,
                reply.text,
            )
            self.session.add(alert)
        if not (acknowledges and alert.reply_acknowledges):
            return False
        found = self.acknowledge_alert(alert_id, acknowledger_of_reply(reply.responder))
        return bool(found and found[1])

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
    fields = {name: getattr(row, name) for name in AlertState.__dataclass_fields__ if name != "reply"}
    return AlertState(**{**fields, "message": dict(row.message), "reply": reply_of(row)})


def reply_of(row: AlertRow) -> PublicReply | None:
    """The public reply kept on an alert row, if any."""
    if row.reply_at is None:
        return None
    return PublicReply(
        responder=row.reply_by or "?", at=row.reply_at, url=row.reply_url or "", text=row.reply_text or ""
    )
