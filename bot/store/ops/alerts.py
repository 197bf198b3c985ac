"""Alerts (`tx.alerts`): the alert rows' one writer.

Routing adds an alert (`add`); the escalate stage moves it up its tiers; a human acknowledges, resolves or
snoozes it, and each of those asks the outbox to cancel every unsent row (pending, held by quiet hours or the
cap, waiting for a retry) of the alert and of its escalations. A public reply is kept on the alert and
acknowledges it only when the alert allows it (never the safety override's). `silence_of` reads the alerts
locked (FOR SHARE on PostgreSQL), so an ack and the claim of one of its rows never interleave. The outbox,
once a row is sent or given up, asks this owner to mark its alerts (`mark_sent`, `mark_failed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.core.actions import PublicReply, acknowledger_of_reply
from bot.store.delivery_records import AlertState
from bot.store.delivery_tables import AlertRow
from bot.store.ops.base import Owner
from bot.store.ops.outbox import Outbox


class Alerts(Owner):
    """Adding, escalating, acknowledging, resolving and snoozing alerts."""

    def __init__(self, session: Session, now: datetime, *, outbox: Outbox) -> None:
        super().__init__(session, now)
        self.outbox = outbox

    def for_key(self, key: str) -> int | None:
        """The alert already stored for this idempotency key."""
        return self.session.exec(select(AlertRow.id).where(AlertRow.idempotency_key == key)).first()

    def add(
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

    def state(self, alert_id: int) -> AlertState | None:
        row = self.session.get(AlertRow, alert_id)
        return to_alert_state(row) if row is not None else None

    def overdue(self, limit: int = 200) -> list[AlertState]:
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

    def escalate(self, alert_id: int, *, tier: str | None, next_escalation_at: datetime | None) -> int:
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

    # --- as the outbox sends them -------------------------------------------------------------

    def mark_sent(self, alert_ids: Sequence[int]) -> None:
        """A row carrying these alerts went out: those still pending (or failed on another channel) are sent."""
        for alert_id in alert_ids:
            alert = self.session.get(AlertRow, alert_id)
            if alert is not None and alert.status in ("pending", "failed"):
                alert.status, alert.sent_at = "sent", alert.sent_at or self.now
                self.session.add(alert)

    def mark_failed(self, alert_id: int) -> None:
        """No channel can still deliver the alert: a pending one is `failed`."""
        alert = self.session.get(AlertRow, alert_id)
        if alert is not None and alert.status == "pending":
            alert.status = "failed"
            self.session.add(alert)

    # --- what people do -----------------------------------------------------------------

    def acknowledge(self, alert_id: int, by: str) -> tuple[AlertState, bool] | None:
        """Acknowledge an alert (the first ack wins), stop its escalation, cancel its unsent rows;
        returns the alert and whether this call acknowledged it, None if no such alert."""
        alert = self.session.get(AlertRow, alert_id)
        if alert is None:
            return None
        if alert.acked_at is not None:
            return to_alert_state(alert), False
        alert.acked_at, alert.acked_by, alert.status, alert.next_escalation_at = self.now, by, "acked", None
        self.session.add(alert)
        self.outbox.cancel_unsent(alert_id, f"acknowledged by {by}")
        return to_alert_state(alert), True

    def resolve(self, alert_id: int, by: str) -> tuple[AlertState, bool] | None:
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
        self.outbox.cancel_unsent(alert_id, f"resolved by {by}")
        return to_alert_state(alert), True

    def snooze(self, alert_id: int, by: str, *, until: datetime) -> AlertState | None:
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
        self.outbox.cancel_unsent(alert_id, f"snoozed by {by} until {until:%Y-%m-%d %H:%M} UTC")
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
        found = self.acknowledge(alert_id, acknowledger_of_reply(reply.responder))
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

    def briefs(self, post_id: int) -> list[str]:
        """A line per alert a post raised (tier, current tier, status, who acknowledged it), and one more for
        the brand's public reply kept on it."""
        rows = self.session.exec(select(AlertRow).where(AlertRow.post_id == post_id).order_by(col(AlertRow.id))).all()
        return [line for a in rows for line in _alert_brief(a)]


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


def _alert_brief(alert: AlertRow) -> list[str]:
    line = (
        f"alert #{alert.id} to {alert.tier} (now {alert.current_tier}, {alert.status}"
        f"{', acked by ' + alert.acked_by if alert.acked_by else ''})"
    )
    reply = reply_of(alert)
    if reply is None:
        return [line]
    stands = "" if alert.reply_acknowledges else "; not an acknowledgement: only a person acknowledges this alert"
    return [line, f"  public reply: {reply.describe()}{stands}"]
