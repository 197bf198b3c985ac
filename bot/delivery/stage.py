"""The deliver stage: sends due outbox rows to ticket sinks and alert channels, exactly once per success.

Per row, in one transaction: re-read it, cancel it if its alert was acknowledged, resolved or
snoozed meanwhile (read under a shared lock, so an ack never interleaves with the claim), hold
it if its channel is over the hourly cap, else mark it `sending` with attempts+1 and commit
BEFORE the remote call. Call the sink with the row's idempotency key; then mark it
`sent` (with the remote ref) or schedule a jittered exponential retry, or `dead` for a
permanent failure. A row left in `sending` by a crash is sent again, with the same key, on
the next start (or when its lease runs out; on PostgreSQL the sending process holds the
row's lock, so only a row whose process died is taken): sinks that dedup (Zendesk, Jira, the webhook,
PagerDuty, json:// webhooks) turn that into exactly once; the rest (Slack, email, Teams) may
repeat that one message (at-least-once). A `sent` row is never sent again.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.actions import Delivery
from bot.core.clock import utcnow
from bot.core.payloads import AlertSend, SummarySend, TicketSend
from bot.core.retry import RetrySettings
from bot.core.stage import Stage
from bot.delivery.channels.base import AlertChannel, Notice
from bot.delivery.escalation import over_cap
from bot.delivery.lanes import Lanes, call_with_deadline
from bot.delivery.redact import redact_request
from bot.delivery.render import message_from_json, render, render_summary
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.delivery.sinks.base import TicketSink
from bot.store.delivery_records import OutboxItem

if TYPE_CHECKING:
    from bot.store import Store, Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Send:
    """What to call for one row, and the notice it carries (alerts only)."""

    call: Callable[[], Delivery]
    notice: Notice | None = None


class DeliverStage(Stage):
    """Sends what the outbox holds, oldest first; retries with backoff; never raises for remote failure."""

    name = "deliver"

    def __init__(
        self,
        store: Store,
        *,
        tickets: TicketSettings,
        alerts: AlertSettings,
        sinks: Mapping[str, TicketSink],
        channels: Mapping[str, AlertChannel],
        feed_url: str = "",
        clock: Callable[[], datetime] = utcnow,
        interval_seconds: int = 5,
        batch_size: int = 50,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store, self.tickets, self.alerts = store, tickets, alerts
        self.sinks, self.channels = dict(sinks), dict(channels)
        self.feed_url, self.clock, self.interval_seconds = feed_url, clock, interval_seconds
        self.batch_size, self.jitter = batch_size, jitter
        self._recovered = False
        self._lanes: Lanes | None = None
        self._opened: Counter[str] = Counter()  # tickets opened, per sink, this pass
        self._alerted: Counter[str] = Counter()  # alerts sent, per tier, this pass

    def run_once(self) -> int:
        """Send every due row once (with lanes started: hand each target's rows to its lane); returns how many."""
        if not self._recovered:
            self.recover()
        with self.store.transaction(now=self.clock()) as tx:
            due = tx.outbox.due_by_target(self.batch_size)
        if self._lanes is not None:
            return sum(self._lanes.submit(target, ids) for target, ids in due.items())
        self._opened.clear()
        self._alerted.clear()
        handled = sum(self.deliver(row_id) for row_id in sorted(i for ids in due.values() for i in ids))
        self._log_pass()
        return handled

    def start(self, stop: threading.Event) -> None:
        """From now on each target sends on its own thread: a hung sink delays only itself."""
        self._lanes = Lanes(self._deliver_in_lane, stop)

    def recover(self) -> int:
        """Make rows a crashed run left in `sending` due now (resent with the same key).

        On PostgreSQL a live process holds the row it is sending locked, so this takes only rows
        whose process is gone; on SQLite one daemon runs per file, so every such row is orphaned.
        """
        with self.store.transaction(now=self.clock()) as tx:
            stuck = tx.outbox.resume_sending()
        if stuck:
            log.warning("resuming deliveries a previous run left unfinished", extra={"count": stuck})
        self._recovered = True
        return stuck

    def deliver(self, row_id: int) -> int:
        """Send one outbox row (claim, call within the total deadline, record); returns 1 if it was handled.

        On PostgreSQL the claiming transaction stays open through the send, holding the row's lock: no
        other process takes the row, and if this one dies the lock goes and the row is simply due again.
        On SQLite the claim (`sending`, attempts + 1) commits before the call, so the write lock is free.
        """
        with self.store.transaction(now=self.clock()) as tx:
            claimed = self._claim(tx, row_id)
            if not isinstance(claimed, tuple):
                return claimed
            if tx.on_postgres:
                result = self._call(*claimed)
                return self._finish(tx, row_id, claimed, result)
        result = self._call(*claimed)
        with self.store.transaction(now=self.clock()) as tx:
            return self._finish(tx, row_id, claimed, result)

    def _claim(self, tx: Transaction, row_id: int) -> int | tuple[OutboxItem, _Send]:
        item = tx.outbox.lock(row_id)  # None when gone, or another process holds it
        if item is None or item.status not in ("pending", "sending") or item.next_attempt_at > tx.now:
            return 0
        if item.kind == "alert" and self._withheld(tx, item):
            return 1
        send = self._prepare(tx, item)
        lease = tx.now + timedelta(seconds=2 * self._retry(item).timeout_seconds + 60)
        if not tx.outbox.claim(row_id, attempts=item.attempts, lease_until=lease):
            return 0  # a second deliverer, or an ack, got there first
        return item, send

    def _call(self, item: OutboxItem, send: _Send) -> Delivery:
        return call_with_deadline(send.call, self._retry(item).timeout_seconds, target=item.target)

    def _finish(self, tx: Transaction, row_id: int, claimed: tuple[OutboxItem, _Send], result: Delivery) -> int:
        item, send = claimed
        row = tx.outbox.item(row_id)
        if row is None or row.status != "sending" or row.attempts != item.attempts + 1:
            log.warning("delivery outcome dropped: the row moved on meanwhile", extra={"outbox_id": row_id})
            return 1
        self._record(tx, row, result)
        if result.ok:
            self._count(row, send.notice)
        return 1

    def _deliver_in_lane(self, row_id: int) -> int:
        handled = self.deliver(row_id)
        self._log_pass()
        return handled

    def _log_pass(self) -> None:
        if self._opened or self._alerted:
            log.info("delivered", extra={"tickets_opened": dict(self._opened), "alerts_sent": dict(self._alerted)})
            self._opened.clear()
            self._alerted.clear()

    def _withheld(self, tx: Transaction, item: OutboxItem) -> bool:
        """Cancel the row if its alert is silenced (acked, resolved, snoozed); hold it if over the hourly cap."""
        silenced = tx.alerts.silence_of(list(item.alert_ids))
        if silenced is not None:
            tx.outbox.cancel(item.id, reason=silenced)
            log.info("alert silenced meanwhile: not sent", extra={"outbox_id": item.id, "alert_id": item.ref_id})
            return True
        if item.is_summary:
            return False
        window_end = over_cap(tx, item.target, self.alerts.cap_per_hour)
        if window_end is not None:
            tx.outbox.hold(item.id, until=window_end, reason="over the hourly cap")
            return True
        return False

    # --- preparing a send ---------------------------------------------------------------

    def _prepare(self, tx: Transaction, item: OutboxItem) -> _Send:
        """What to call for this row, read inside the claiming transaction."""
        if isinstance(item.payload, TicketSend):
            return self._prepare_ticket(tx, item, item.payload)
        return self._prepare_alert(tx, item, item.payload)

    def _prepare_ticket(self, tx: Transaction, item: OutboxItem, payload: TicketSend) -> _Send:
        sink = self.sinks.get(item.target)
        if sink is None:
            return _fail(f"ticket sink '{item.target}' is not enabled any more", retryable=False)
        request = redact_request(payload.request) if sink.settings.redact else payload.request
        if payload.op == "comment":
            ref = tx.tickets.ref(payload.ticket_id, item.target)
            if ref is None:
                return _fail("the ticket is not open at this sink yet")
            return _Send(lambda: sink.comment(ref, request))
        return _Send(lambda: sink.open(request))

    def _prepare_alert(self, tx: Transaction, item: OutboxItem, payload: AlertSend | SummarySend) -> _Send:
        channel = self.channels.get(item.target)
        if channel is None:
            return _fail(f"alert channel {item.target} is not configured any more", retryable=False)
        if isinstance(payload, SummarySend):
            notice = render_summary(
                payload.titles,
                window=payload.window,
                feed_url=self.feed_url,
                idempotency_key=item.idempotency_key,
                redacted=self.alerts.redact,
            )
        else:
            alert = tx.alerts.state(payload.alert_id)
            if alert is None:
                return _fail(f"alert {payload.alert_id} is gone", retryable=False)
            notice = render(
                message_from_json(alert.message),
                tier=payload.tier,
                level=payload.level,
                alert_id=payload.alert_id,
                redacted=self.alerts.redact,
                idempotency_key=item.idempotency_key,
                reply=alert.reply,
            )
        return _Send(lambda: channel.send(notice), notice)

    # --- recording the result -----------------------------------------------------------

    def _record(self, tx: Transaction, row: OutboxItem, result: Delivery) -> None:
        retry = self._retry(row)
        extra = {"outbox_id": row.id, "target": row.target, "attempts": row.attempts, "error": result.error}
        if result.ok:
            tx.outbox.record_sent(row, result.ref)
        elif result.retryable and row.attempts < retry.max_attempts:
            delay = retry.backoff(row.attempts - 1) * (0.5 + self.jitter())
            tx.outbox.schedule_retry(row.id, at=tx.now + timedelta(seconds=delay), error=result.error)
            log.info("delivery failed, will retry", extra=extra)
        else:
            tx.outbox.record_dead(row, result.error)
            log.error("delivery failed for good", extra=extra)

    def _count(self, row: OutboxItem, notice: Notice | None) -> None:
        """Tally a successful send for the pass's log line; every critical page gets its own line."""
        payload = row.payload
        if isinstance(payload, TicketSend):
            if payload.op == "open":
                self._opened[row.target] += 1
            return
        tier = payload.tier if isinstance(payload, AlertSend) else "summary"
        self._alerted[tier] += 1
        if notice is not None and notice.severity == "failure" and isinstance(payload, AlertSend):
            log.info(
                "critical page sent",
                extra={
                    "alert_id": row.ref_id,
                    "tier": tier,
                    "post_url": notice.url,
                    "channel": row.target,
                    "level": payload.level,
                },
            )

    def _retry(self, row: OutboxItem) -> RetrySettings:
        return self.tickets.retry if row.kind == "ticket" else self.alerts.retry


def _fail(error: str, *, retryable: bool = True) -> _Send:
    return _Send(lambda: Delivery(ok=False, error=error, retryable=retryable))
