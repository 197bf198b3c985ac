"""Helpers for the delivery tests: a hand-moved clock and an alert desk over stub channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.actions import AlertMessage
from bot.delivery import DeliverStage, EscalationStage, Outbox, build_channels
from bot.delivery.channels import stub
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.store import Store
from bot.store.delivery_tables import AlertRow

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Desk:
    """An alert desk: outbox, deliver and escalate stages over one store and stub channels."""

    def __init__(self, store: Store, alerts: AlertSettings, clock: Clock) -> None:
        self.store, self.alerts, self.clock = store, alerts, clock
        self.outbox = Outbox(tickets=TicketSettings(), alerts=alerts, clock=clock)
        self.deliver = self.deliverer()
        self.escalate = EscalationStage(store, alerts=alerts, clock=clock)

    def deliverer(self) -> DeliverStage:
        """A deliver stage as a fresh start of the daemon makes it."""
        return DeliverStage(
            self.store,
            tickets=TicketSettings(),
            alerts=self.alerts,
            sinks={},
            channels=build_channels(self.alerts),
            feed_url="http://feed/alerts",
            clock=self.clock,
            jitter=lambda: 0.5,
        )

    def raise_alert(self, key: str, tier: str, text: str = "my car is on fire", **fields: Any) -> int:
        with self.store.transaction() as tx:
            return self.outbox.enqueue_alert(tx, post_id=1, message=message(key, tier, text, self.clock.now, **fields))

    def tick(self) -> None:
        self.escalate.run_once()
        while self.deliver.run_once():
            pass

    def alert(self, alert_id: int) -> AlertRow:
        with self.store.session() as session:
            row = session.get(AlertRow, alert_id)
            assert row is not None
            return row


def message(key: str, tier: str, text: str, now: datetime, **fields: Any) -> AlertMessage:
    """The safety override's alert about post 1; `fields` replace any of its fields (`rule`, ...)."""
    values: dict[str, Any] = dict(
        idempotency_key=key,
        tier=tier,
        title=f"Alert {key}",
        text=text,
        post_url="https://x.com/a/status/1",
        author_handle="a",
        author_reach=40,
        labels={"urgency": {"label": "critical", "score": 0.93}},
        velocity_per_hour=12.0,
        projected_reach=900.0,
        incident_id=None,
        incident_size=1,
        rule="safety-override",
        reasons=("urgency critical",),
        feed_url="http://feed/alerts/1",
        created_at=now,
        reply_acknowledges=False,
    )
    return AlertMessage(**{**values, **fields})


def settings(**extra: object) -> AlertSettings:
    """Three tiers on stub channels: support (quiet 22–07, escalates after 30 min) → on-call → executive."""
    tiers = {
        "support": {
            "urls": ["stub://support"],
            "escalate_after_minutes": 30,
            "next": "on-call",
            "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "UTC"},
        },
        "on-call": {"urls": ["stub://on-call"], "escalate_after_minutes": 15, "next": "executive"},
        "executive": {"urls": ["stub://executive"]},
    }
    return AlertSettings.model_validate({"tiers": tiers, **extra})


def titles(channel: str) -> list[str]:
    return [notice.title for notice in stub.SENT.get(channel, [])]


def clear_stub_channels() -> None:
    stub.SENT.clear()
    stub.CALLS.clear()
