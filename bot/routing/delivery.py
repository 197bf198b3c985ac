"""The deliver stage: sends due outbox rows to ticket sinks and alert channels, exactly once per success.

Per row: mark `sending` and attempts+1 and commit BEFORE the remote call; call the sink with the
row's idempotency key; then mark `sent` (with the remote ref) or schedule a jittered exponential
retry, or `dead` for a permanent failure. A row left in `sending` by a crash is sent again, with
the same key, on the next start (or when its lease runs out): sinks that dedup (Zendesk, Jira,
the webhook, PagerDuty, json:// webhooks) turn that into exactly once; the rest (Slack, email,
Teams) may repeat that one message (at-least-once). A `sent` row is never sent again.
"""

from __future__ import annotations

import importlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.routing.channels.base import AlertChannel, Notice, channel_id
from bot.routing.channels.message import message_from_json, render, render_summary
from bot.core.retry import RetrySettings
from bot.routing.delivery_settings import AlertSettings, TicketSettings
from bot.routing.escalation import EscalationStage, over_cap
from bot.routing.sinks.base import TicketSink, request_from_json
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketRow
from bot.core.actions import Delivery
from bot.core.clock import utcnow

if TYPE_CHECKING:
    from bot.app.config import Config
    from bot.app.pipeline import Stage
    from bot.store import Store

log = logging.getLogger(__name__)
Send = Callable[[], Delivery]


class DeliverStage:
    """Sends what the outbox holds, oldest first; retries with backoff; never raises for remote failure."""

    name = "deliver"

    def __init__(self, store: Store, *, tickets: TicketSettings, alerts: AlertSettings,
                 sinks: Mapping[str, TicketSink], channels: Mapping[str, AlertChannel],
                 feed_url: str = "", clock: Callable[[], datetime] = utcnow, interval_seconds: int = 5,
                 batch_size: int = 50, jitter: Callable[[], float] = random.random) -> None:
        self.store, self.tickets, self.alerts = store, tickets, alerts
        self.sinks, self.channels = dict(sinks), dict(channels)
        self.feed_url, self.clock, self.interval_seconds = feed_url, clock, interval_seconds
        self.batch_size, self.jitter = batch_size, jitter
        self._recovered = False

    def run_once(self) -> int:
        """Send every due row once; returns how many rows were handled."""
        if not self._recovered:
            self.recover()
        now = self.clock()
        with self.store.session() as session:
            ids = session.exec(select(OutboxRow.id).where(
                col(OutboxRow.status).in_(("pending", "sending")), OutboxRow.next_attempt_at <= now,
            ).order_by(col(OutboxRow.id)).limit(self.batch_size)).all()
        return sum(self.deliver(row_id) for row_id in ids if row_id is not None)

    def recover(self) -> int:
        """Make rows a crashed run left in `sending` due now (resent with the same key)."""
        now = self.clock()
        with self.store.session() as session:
            stuck = session.exec(select(OutboxRow).where(OutboxRow.status == "sending")).all()
            for row in stuck:
                row.next_attempt_at = now
                session.add(row)
        if stuck:
            log.warning("resuming deliveries a previous run left unfinished", extra={"count": len(stuck)})
        self._recovered = True
        return len(stuck)

    def deliver(self, row_id: int) -> int:
        """Send one outbox row (claim, call, record); returns 1 if it was handled."""
        now = self.clock()
        with self.store.session() as session:
            row = session.get(OutboxRow, row_id)
            if row is None or row.status not in ("pending", "sending") or row.next_attempt_at > now:
                return 0
            if row.kind == "alert" and not row.idempotency_key.startswith("summary:"):
                window_end = over_cap(session, row.target, now, self.alerts.cap_per_hour)
                if window_end is not None:
                    row.status, row.next_attempt_at, row.last_error = "held", window_end, "over the hourly cap"
                    session.add(row)
                    return 1
            send = self._prepare(session, row)
            attempt = row.attempts + 1
            lease = now + timedelta(seconds=2 * self._retry(row).timeout_seconds + 60)
            claimed = session.execute(  # atomic: a second deliverer racing for this row gets 0 rows
                update(OutboxRow).where(col(OutboxRow.id) == row_id, col(OutboxRow.attempts) == row.attempts,
                                        col(OutboxRow.status).in_(("pending", "sending")))
                .values(status="sending", attempts=attempt, next_attempt_at=lease))
            if claimed.rowcount != 1:
                return 0
        try:
            result = send()
        except Exception as err:  # noqa: BLE001 - a misbehaving plugin must not stop delivery
            result = Delivery(ok=False, error=f"{type(err).__name__}: {err}")
        with self.store.session() as session:
            row = session.get(OutboxRow, row_id)
            if row is None or row.status != "sending" or row.attempts != attempt:
                log.warning("delivery outcome dropped: the row moved on meanwhile", extra={"outbox_id": row_id})
                return 1
            self._record(session, row, result, self.clock())
        return 1

    # --- preparing a send ---------------------------------------------------------------

    def _prepare(self, session: Session, row: OutboxRow) -> Send:
        """What to call for this row, read inside the claiming transaction."""
        if row.kind == "ticket":
            return self._prepare_ticket(session, row)
        return self._prepare_alert(session, row)

    def _prepare_ticket(self, session: Session, row: OutboxRow) -> Send:
        sink = self.sinks.get(row.target)
        if sink is None:
            return _fail(f"ticket sink '{row.target}' is not enabled any more", retryable=False)
        request = request_from_json(row.payload["request"])
        if row.payload.get("op") == "comment":
            ticket = session.get(TicketRow, row.payload["ticket_id"])
            ref = (ticket.external_refs if ticket else {}).get(row.target)
            if ref is None:
                return _fail("the ticket is not open at this sink yet")
            return lambda: sink.comment(str(ref), request)
        return lambda: sink.open(request)

    def _prepare_alert(self, session: Session, row: OutboxRow) -> Send:
        channel = self.channels.get(row.target)
        if channel is None:
            return _fail(f"alert channel {row.target} is not configured any more", retryable=False)
        payload = row.payload
        if payload.get("summary"):
            notice: Notice = render_summary(payload["titles"], window=payload["window"], feed_url=self.feed_url,
                                            idempotency_key=row.idempotency_key, redacted=self.alerts.redact)
        else:
            alert = session.get(AlertRow, payload["alert_id"])
            if alert is None:
                return _fail(f"alert {payload['alert_id']} is gone", retryable=False)
            notice = render(message_from_json(alert.message), tier=payload["tier"], level=payload["level"],
                            alert_id=payload["alert_id"], redacted=self.alerts.redact,
                            idempotency_key=row.idempotency_key)
        return lambda: channel.send(notice)

    # --- recording the result -----------------------------------------------------------

    def _record(self, session: Session, row: OutboxRow, result: Delivery, now: datetime) -> None:
        retry = self._retry(row)
        if result.ok:
            row.status, row.sent_at, row.external_ref, row.last_error = "sent", now, result.ref, None
            self._on_sent(session, row, result, now)
        elif result.retryable and row.attempts < retry.max_attempts:
            delay = retry.backoff(row.attempts - 1)
            row.status, row.last_error = "pending", result.error
            row.next_attempt_at = now + timedelta(seconds=delay * (0.5 + self.jitter()))
            log.info("delivery failed, will retry", extra={"outbox_id": row.id, "target": row.target,
                                                           "attempts": row.attempts, "error": result.error})
        else:
            row.status, row.last_error = "dead", result.error
            log.error("delivery failed for good", extra={"outbox_id": row.id, "target": row.target,
                                                         "attempts": row.attempts, "error": result.error})
            session.add(row)
            if row.kind == "alert" and not row.payload.get("summary"):
                _mark_failed_if_undeliverable(session, row.ref_id)
        session.add(row)

    @staticmethod
    def _on_sent(session: Session, row: OutboxRow, result: Delivery, now: datetime) -> None:
        """Write the remote ref back to the ticket, or mark the alert sent."""
        if row.kind == "ticket" and row.payload.get("op") == "open" and result.ref:
            ticket = session.get(TicketRow, row.ref_id)
            if ticket is not None:
                ticket.external_refs = {**ticket.external_refs, row.target: result.ref}
                ticket.updated_at = now
                session.add(ticket)
        elif row.kind == "alert":
            for alert_id in row.payload.get("alert_ids") or [row.ref_id]:
                alert = session.get(AlertRow, alert_id)
                if alert is not None and alert.status in ("pending", "failed"):
                    alert.status, alert.sent_at = "sent", alert.sent_at or now
                    session.add(alert)

    def _retry(self, row: OutboxRow) -> RetrySettings:
        return self.tickets.retry if row.kind == "ticket" else self.alerts.retry


def _mark_failed_if_undeliverable(session: Session, alert_id: int) -> None:
    """An alert none of whose channels can still deliver it is `failed` (it stays in the feed)."""
    alert = session.get(AlertRow, alert_id)
    live = session.exec(select(OutboxRow.id).where(
        OutboxRow.kind == "alert", OutboxRow.ref_id == alert_id,
        col(OutboxRow.status).in_(("pending", "sending", "sent", "held", "summarized")))).first()
    if alert is not None and alert.status == "pending" and live is None:
        alert.status = "failed"
        session.add(alert)


def _fail(error: str, *, retryable: bool = True) -> Send:
    return lambda: Delivery(ok=False, error=error, retryable=retryable)


def build_sinks(tickets: TicketSettings) -> dict[str, TicketSink]:
    """One sink per enabled `routing.tickets.sinks` entry, from its plugin module."""
    sinks: dict[str, TicketSink] = {}
    for name, settings in tickets.enabled_sinks().items():
        module = importlib.import_module(f"bot.routing.sinks.{settings.plugin or name}")
        sinks[name] = module.Sink(name, settings, timeout_seconds=tickets.retry.timeout_seconds)
    return sinks


def build_channels(alerts: AlertSettings) -> dict[str, AlertChannel]:
    """One channel per distinct apprise URL across the tiers, keyed by its secret-free id."""
    from bot.routing.channels import apprise_channel, stub

    channels: dict[str, AlertChannel] = {}
    for tier in alerts.tiers.values():
        for url in tier.urls:
            module: Any = stub if url.startswith("stub://") else apprise_channel
            channels.setdefault(channel_id(url), module.Channel(url, timeout_seconds=alerts.retry.timeout_seconds))
    return channels


def build_delivery_stages(config: Config, store: Store, *, clock: Callable[[], datetime] = utcnow,
                          sinks: Mapping[str, TicketSink] | None = None,
                          channels: Mapping[str, AlertChannel] | None = None) -> list[Stage]:
    """The escalate and deliver stages (in that order, so escalations go out in the same pass)."""
    routing = config.routing
    feed_url = f"{getattr(routing, 'feed_base_url', '').rstrip('/')}/alerts"
    deliver = DeliverStage(store, tickets=routing.tickets, alerts=routing.alerts,
                           sinks=build_sinks(routing.tickets) if sinks is None else sinks,
                           channels=build_channels(routing.alerts) if channels is None else channels,
                           feed_url=feed_url, clock=clock,
                           interval_seconds=config.pipeline.deliver_interval_seconds)
    escalate = EscalationStage(store, alerts=routing.alerts, clock=clock,
                               interval_seconds=config.pipeline.deliver_interval_seconds)
    return [escalate, deliver]
