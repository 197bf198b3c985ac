"""Escalation, acknowledgement and the hourly cap: unacked alerts climb the tiers until someone acks.

- An alert not acknowledged by its `next_escalation_at` is re-sent to the tier's `next` tier
  (new outbox rows, `escalation_level` + 1), again and again until acked or the tiers run out.
- Quiet hours defer a tier's sends (and its escalation timer) to the end of the window.
- Each channel sends at most `cap_per_hour` alerts per clock hour (UTC); the rest are `held`
  and, once that hour is over, replaced by ONE summary message listing them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.routing.delivery_settings import AlertSettings
from bot.store.delivery_tables import AlertRow, OutboxRow
from bot.core.clock import utcnow

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)


class EscalationStage:
    """Escalates overdue unacknowledged alerts and turns held (capped) alerts into summaries."""

    name = "escalate"

    def __init__(self, store: Store, *, alerts: AlertSettings, clock: Callable[[], datetime] = utcnow,
                 interval_seconds: int = 5) -> None:
        self.store, self.alerts, self.clock, self.interval_seconds = store, alerts, clock, interval_seconds

    def run_once(self) -> int:
        """Escalate what is overdue and summarize finished cap windows; returns how many changed."""
        now = self.clock()
        with self.store.session() as session:
            return escalate_due(session, self.alerts, now) + summarize_held(session, now)


def escalate_due(session: Session, alerts: AlertSettings, now: datetime) -> int:
    """Move every overdue unacknowledged alert one tier up; returns how many moved."""
    from bot.routing.outbox import add_alert_rows

    due = session.exec(select(AlertRow).where(col(AlertRow.acked_at).is_(None),
                                              col(AlertRow.next_escalation_at).is_not(None),
                                              col(AlertRow.next_escalation_at) <= now)
                       .order_by(col(AlertRow.id)).limit(200)).all()
    moved = 0
    for alert in due:
        tier = alerts.tiers.get(alert.current_tier)
        next_name = tier.next if tier else None
        if next_name is None or next_name not in alerts.tiers:
            alert.next_escalation_at = None
            session.add(alert)
            continue
        alert.escalation_level += 1
        alert.current_tier = next_name
        alert.next_escalation_at = alerts.tiers[next_name].escalation_due(now)
        session.add(alert)
        session.flush()
        add_alert_rows(session, alert, next_name, alert.escalation_level, alerts, now)
        log.warning("alert not acknowledged: escalated", extra={"alert_id": alert.id, "tier": next_name,
                                                                "level": alert.escalation_level})
        moved += 1
    return moved


def over_cap(session: Session, target: str, now: datetime, cap: int) -> datetime | None:
    """The end of this hour if `target` already sent `cap` alerts in it, else None."""
    start = now.replace(minute=0, second=0, microsecond=0)
    sent = session.exec(select(func.count()).select_from(OutboxRow).where(
        OutboxRow.target == target, OutboxRow.kind == "alert", OutboxRow.status == "sent",
        col(OutboxRow.sent_at) >= start, ~col(OutboxRow.idempotency_key).startswith("summary:"),
    )).one()
    return start + timedelta(hours=1) if sent >= cap else None


def summarize_held(session: Session, now: datetime) -> int:
    """One summary row per channel and finished hour for the alerts the cap held; returns how many."""
    held = session.exec(select(OutboxRow).where(OutboxRow.status == "held", OutboxRow.next_attempt_at <= now)
                        .order_by(col(OutboxRow.id))).all()
    groups: dict[tuple[str, datetime], list[OutboxRow]] = defaultdict(list)
    for row in held:
        groups[(row.target, row.next_attempt_at)].append(row)
    for (target, window_end), rows in groups.items():
        window_start = window_end - timedelta(hours=1)
        key = f"summary:{target}:{window_start.isoformat()}"
        alerts = {a.id: a for a in session.exec(select(AlertRow).where(
            col(AlertRow.id).in_([r.ref_id for r in rows]))).all()}
        titles = [str(alerts[r.ref_id].message.get("title", f"alert {r.ref_id}")) if r.ref_id in alerts
                  else f"alert {r.ref_id}" for r in rows]
        if session.exec(select(OutboxRow.id).where(OutboxRow.idempotency_key == key)).first() is None:
            session.add(OutboxRow(
                kind="alert", ref_id=rows[0].ref_id, target=target, idempotency_key=key, status="pending",
                payload={"summary": True, "titles": titles, "alert_ids": [r.ref_id for r in rows],
                         "window": f"{window_start:%Y-%m-%d %H:%M}–{window_end:%H:%M} UTC"},
                attempts=0, next_attempt_at=now, created_at=now))
        for row in rows:
            row.status = "summarized"
            session.add(row)
    return len(groups)


def acknowledge(store: Store, alert_id: int, by: str, *, now: datetime | None = None) -> AlertRow | None:
    """Mark an alert acknowledged (first ack wins), stop its escalation, cancel its unsent rows."""
    now = now or utcnow()
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            return None
        if alert.acked_at is None:
            alert.acked_at, alert.acked_by, alert.status, alert.next_escalation_at = now, by, "acked", None
            session.add(alert)
            unsent = session.exec(select(OutboxRow).where(
                OutboxRow.kind == "alert", OutboxRow.ref_id == alert_id,
                col(OutboxRow.status).in_(("pending", "held")),
                ~col(OutboxRow.idempotency_key).startswith("summary:"))).all()
            for row in unsent:
                row.status, row.last_error = "cancelled", f"acknowledged by {by}"
                session.add(row)
            log.info("alert acknowledged", extra={"alert_id": alert_id, "by": by})
        return alert
