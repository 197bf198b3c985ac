"""Escalation, acknowledgement and the hourly cap: unacked alerts climb the tiers until someone acks.

- An alert not acknowledged by its `next_escalation_at` is re-sent to the tier's `next` tier
  (new outbox rows, `escalation_level` + 1), again and again until acked or the tiers run out.
- Quiet hours defer a tier's sends (and its escalation timer) to the end of the window.
- Each channel sends at most `cap_per_hour` alerts per clock hour (UTC); the rest are `held`
  and, once that hour is over, replaced by ONE summary message listing them.
- An acknowledgement (or a resolve) stops the escalation and cancels every unsent row of the
  alert (pending, held by quiet hours or the cap, waiting for a retry), its escalations' rows
  included. A snooze does the same until it ends; then the alert escalates unless someone acked.
  Delivery re-checks this silence in the transaction that claims each row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.clock import utcnow
from bot.core.payloads import SummarySend
from bot.core.stage import Stage
from bot.delivery.outbox import add_alert_rows
from bot.delivery.settings import AlertSettings
from bot.store.delivery_records import SUMMARY_PREFIX, AlertState, OutboxItem

if TYPE_CHECKING:
    from bot.store import Store, Transaction

log = logging.getLogger(__name__)
ESCALATION_LOCK = "earshot:escalation"


class EscalationStage(Stage):
    """Escalates overdue unacknowledged alerts and turns held (capped) alerts into summaries."""

    name = "escalate"

    def __init__(
        self, store: Store, *, alerts: AlertSettings, clock: Callable[[], datetime] = utcnow, interval_seconds: int = 5
    ) -> None:
        self.store, self.alerts, self.clock, self.interval_seconds = store, alerts, clock, interval_seconds

    def run_once(self) -> int:
        """Escalate what is overdue and summarize finished cap windows; returns how many changed."""
        with self.store.transaction(now=self.clock()) as tx:
            tx.locks.hold(ESCALATION_LOCK)  # processes sharing one PostgreSQL escalate one at a time
            return escalate_due(tx, self.alerts) + summarize_held(tx)


def escalate_due(tx: Transaction, alerts: AlertSettings) -> int:
    """Move every overdue unacknowledged alert one tier up; returns how many moved."""
    moved = 0
    for alert in tx.alerts.overdue():
        tier = alerts.tiers.get(alert.current_tier)
        next_name = tier.next if tier else None
        if next_name is None or next_name not in alerts.tiers:
            tx.alerts.escalate(alert.id, tier=None, next_escalation_at=None)
            continue
        level = tx.alerts.escalate(
            alert.id, tier=next_name, next_escalation_at=alerts.tiers[next_name].escalation_due(tx.now)
        )
        add_alert_rows(tx, alert.id, alert.idempotency_key, next_name, level, alerts, tx.now, shadow=alert.shadow)
        log.log(
            logging.INFO if alert.shadow else logging.WARNING,
            "shadow alert not acknowledged: escalated, nothing sent"
            if alert.shadow
            else "alert not acknowledged: escalated",
            extra={"alert_id": alert.id, "tier": next_name, "level": level},
        )
        moved += 1
    return moved


def over_cap(tx: Transaction, target: str, cap: int) -> datetime | None:
    """The end of this hour if `target` already sent `cap` alerts in it, else None."""
    start = tx.now.replace(minute=0, second=0, microsecond=0)
    return start + timedelta(hours=1) if tx.outbox.alerts_sent_since(target, start) >= cap else None


def summarize_held(tx: Transaction) -> int:
    """One summary row per channel and finished hour for the alerts the cap held; returns how many.

    A held row whose alert was acknowledged, resolved or snoozed meanwhile is cancelled, not summarized.
    """
    groups: dict[tuple[str, datetime], list[tuple[OutboxItem, AlertState | None]]] = defaultdict(list)
    for item in tx.outbox.held_due():
        alert = tx.alerts.state(item.ref_id)
        silenced = alert.silenced(tx.now) if alert is not None else None
        if silenced is not None:
            tx.outbox.cancel(item.id, reason=silenced)
            continue
        groups[(item.target, item.next_attempt_at)].append((item, alert))
    for (target, window_end), held in groups.items():
        window_start = window_end - timedelta(hours=1)
        titles = [
            str(alert.message.get("title", f"alert {item.ref_id}")) if alert else f"alert {item.ref_id}"
            for item, alert in held
        ]
        key = f"{SUMMARY_PREFIX}{target}:{window_start.isoformat()}"
        tx.outbox.summarize(
            [item for item, _ in held],
            idempotency_key=key,
            payload=SummarySend(
                titles=tuple(titles),
                alert_ids=tuple(item.ref_id for item, _ in held),
                window=f"{window_start:%Y-%m-%d %H:%M}–{window_end:%H:%M} UTC",
            ),
        )
    return len(groups)


def acknowledge(store: Store, alert_id: int, by: str, *, now: datetime | None = None) -> AlertState | None:
    """Mark an alert acknowledged (first ack wins), stop its escalation, cancel its unsent rows.

    Returns the alert (with who acknowledged it first), or None when there is no such alert.
    """
    with store.transaction(now=now or utcnow()) as tx:
        found = tx.alerts.acknowledge(alert_id, by)
    if found is None:
        return None
    alert, first = found
    if first:
        log.info("alert acknowledged", extra={"alert_id": alert_id, "by": by})
    return alert


def resolve(store: Store, alert_id: int, by: str, *, now: datetime | None = None) -> AlertState | None:
    """Mark an alert resolved (acknowledged too, if nobody had): nothing unsent of it goes out.

    Returns the alert, or None when there is no such alert.
    """
    with store.transaction(now=now or utcnow()) as tx:
        found = tx.alerts.resolve(alert_id, by)
    if found is None:
        return None
    alert, first = found
    if first:
        log.info("alert resolved", extra={"alert_id": alert_id, "by": by})
    return alert


def snooze(store: Store, alert_id: int, by: str, *, until: datetime, now: datetime | None = None) -> AlertState | None:
    """Silence an unacknowledged alert until `until`; then it escalates unless someone acked.

    Returns the alert (unchanged when it was already acknowledged), or None when there is no such alert.
    """
    with store.transaction(now=now or utcnow()) as tx:
        alert = tx.alerts.snooze(alert_id, by, until=until)
    if alert is not None and alert.snoozed_until == until:
        log.info("alert snoozed", extra={"alert_id": alert_id, "by": by, "until": until.isoformat()})
    return alert
