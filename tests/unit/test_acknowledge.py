"""An acknowledgement, a resolve or a snooze silences an alert: nothing unsent of it, or of its
escalations, goes out afterwards (for a snooze: until it ends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.actions import Delivery
from bot.core.errors import StoreError
from bot.delivery import acknowledge, resolve, snooze
from bot.delivery.channels import stub
from bot.store import Store
from bot.store.delivery_tables import OutboxRow
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, settings, titles


@pytest.fixture(autouse=True)
def _clear_stub_channels() -> Iterator[None]:
    clear_stub_channels()
    yield
    clear_stub_channels()


@pytest.fixture
def desk(store: Store) -> Desk:
    store.save_batch("x", [make_post("1")], None)
    return Desk(store, settings(), Clock(NOON))


def _statuses(desk: Desk, alert_id: int) -> list[str]:
    with desk.store.session() as session:
        rows = session.exec(
            select(OutboxRow).where(OutboxRow.ref_id == alert_id, OutboxRow.kind == "alert").order_by(OutboxRow.id)
        ).all()  # type: ignore[arg-type]
        return [row.status for row in rows]


def _calls(*channels: str) -> int:
    return sum(stub.CALLS.get(channel, 0) for channel in channels)


def test_ack_at_23_of_an_alert_held_by_quiet_hours_sends_nothing_at_8(desk: Desk) -> None:
    desk.clock.now = NOON.replace(hour=23)
    alert_id = desk.raise_alert("night", "support")
    desk.tick()
    acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    assert _statuses(desk, alert_id) == ["cancelled"]
    desk.clock.now = NOON.replace(hour=8) + timedelta(days=1)
    desk.tick()
    desk.clock.advance(hours=3)  # past the escalation the morning would have brought
    desk.tick()
    assert _calls("support", "on-call", "executive") == 0


def test_ack_of_an_alert_held_over_the_hourly_cap_keeps_it_out_of_the_summary(store: Store) -> None:
    store.save_batch("x", [make_post("1")], None)
    desk = Desk(store, settings(cap_per_hour=1), Clock(NOON.replace(minute=10)))
    _, held, other = (desk.raise_alert(f"flood-{n}", "executive") for n in range(3))
    desk.tick()
    assert titles("executive") == ["[executive] Alert flood-0"]
    acknowledge(desk.store, held, "dana", now=desk.clock.now)
    assert _statuses(desk, held) == ["cancelled"] and _statuses(desk, other) == ["held"]
    desk.clock.advance(hours=1)
    desk.tick()
    summary = stub.SENT["executive"][-1]
    assert summary.title == "Earshot: 1 more alerts held back"
    assert "Alert flood-2" in summary.body and "Alert flood-1" not in summary.body
    assert _calls("executive") == 2


def test_ack_while_a_retry_is_pending_sends_nothing_more(desk: Desk) -> None:
    channel = desk.deliver.channels["stub:on-call"]
    channel.fail_next = [Delivery(ok=False, error="HTTP 503")]  # type: ignore[attr-defined]
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    assert _statuses(desk, alert_id) == ["pending"] and _calls("on-call") == 1
    acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    assert _statuses(desk, alert_id) == ["cancelled"]
    desk.clock.advance(hours=2)
    desk.tick()
    assert _calls("on-call", "executive") == 1 and titles("on-call") == []
    assert _statuses(desk, alert_id) == ["cancelled"]


def test_ack_cancels_the_unsent_rows_of_the_alerts_escalations(desk: Desk) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    desk.clock.advance(minutes=16)
    desk.escalate.run_once()  # the executive row is added, not sent yet
    assert _statuses(desk, alert_id) == ["sent", "pending"]
    acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    assert _statuses(desk, alert_id) == ["sent", "cancelled"]
    desk.tick()
    assert _calls("executive") == 0 and _statuses(desk, alert_id) == ["sent", "cancelled"]


def test_delivery_rechecks_the_ack_when_it_claims_a_row_a_crash_left_sending(desk: Desk) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    with desk.store.session() as session:  # what a crash between claim and send leaves behind
        row = session.exec(select(OutboxRow)).one()
        row.status, row.attempts = "sending", 1
        session.add(row)
    acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    restarted = desk.deliverer()
    while restarted.run_once():
        pass
    assert _calls("on-call") == 0 and _statuses(desk, alert_id) == ["cancelled"]


def test_resolve_at_23_of_an_alert_held_by_quiet_hours_sends_nothing_at_8(desk: Desk) -> None:
    desk.clock.now = NOON.replace(hour=23)
    alert_id = desk.raise_alert("night", "support")
    desk.tick()
    resolved = resolve(desk.store, alert_id, "dana", now=desk.clock.now)
    assert resolved is not None and (resolved.status, resolved.resolved_by, resolved.acked_by) == (
        "resolved",
        "dana",
        "dana",
    )
    assert _statuses(desk, alert_id) == ["cancelled"]
    desk.clock.now = NOON.replace(hour=8) + timedelta(days=1)
    desk.tick()
    desk.clock.advance(hours=3)
    desk.tick()
    assert _calls("support", "on-call", "executive") == 0
    assert resolve(desk.store, 999, "dana") is None and snooze(desk.store, 999, "dana", until=desk.clock.now) is None


def test_resolve_while_a_retry_is_pending_sends_nothing_more(desk: Desk) -> None:
    desk.deliver.channels["stub:on-call"].fail_next = [Delivery(ok=False, error="HTTP 503")]  # type: ignore[attr-defined]
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    resolve(desk.store, alert_id, "dana", now=desk.clock.now)
    desk.clock.advance(hours=2)
    desk.tick()
    assert _calls("on-call", "executive") == 1 and _statuses(desk, alert_id) == ["cancelled"]


def test_a_snooze_sends_nothing_while_it_lasts_then_the_alert_escalates(desk: Desk) -> None:
    desk.deliver.channels["stub:on-call"].fail_next = [Delivery(ok=False, error="HTTP 503")]  # type: ignore[attr-defined]
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    assert _statuses(desk, alert_id) == ["pending"] and _calls("on-call") == 1  # a retry is waiting
    snoozed = snooze(desk.store, alert_id, "dana", until=desk.clock.now + timedelta(hours=1), now=desk.clock.now)
    assert snoozed is not None and snoozed.snoozed_by == "dana"
    assert _statuses(desk, alert_id) == ["cancelled"]
    desk.clock.advance(minutes=45)  # past the retry and the 15-minute escalation: the snooze holds both
    desk.tick()
    assert _calls("on-call", "executive") == 1
    desk.clock.advance(minutes=16)  # the snooze is over and nobody acked: it climbs to executive
    desk.tick()
    assert titles("executive") == ["[executive] Alert a1 (escalated to executive, level 1)"]
    assert _statuses(desk, alert_id) == ["cancelled", "sent"]


def test_a_snooze_keeps_a_capped_alert_out_of_the_summary(store: Store) -> None:
    store.save_batch("x", [make_post("1")], None)
    desk = Desk(store, settings(cap_per_hour=1), Clock(NOON.replace(minute=10)))
    _, held, other = (desk.raise_alert(f"flood-{n}", "executive") for n in range(3))
    desk.tick()
    snooze(desk.store, held, "dana", until=desk.clock.now + timedelta(hours=4), now=desk.clock.now)
    assert _statuses(desk, held) == ["cancelled"] and _statuses(desk, other) == ["held"]
    desk.clock.advance(hours=1)
    desk.tick()
    assert "Alert flood-2" in stub.SENT["executive"][-1].body and "Alert flood-1" not in stub.SENT["executive"][-1].body
    assert _calls("executive") == 2


def test_a_snooze_does_not_undo_an_ack(desk: Desk) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    after = snooze(desk.store, alert_id, "sam", until=desk.clock.now + timedelta(hours=1), now=desk.clock.now)
    assert after is not None and after.snoozed_until is None and after.acked_by == "dana"
    desk.clock.advance(hours=2)
    desk.tick()
    assert _calls("on-call", "executive") == 0


@pytest.mark.parametrize("silence", ["resolve", "snooze"])
def test_delivery_rechecks_a_resolve_or_snooze_when_it_claims_a_row_a_crash_left_sending(
    desk: Desk, silence: str
) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    with desk.store.session() as session:
        row = session.exec(select(OutboxRow)).one()
        row.status, row.attempts = "sending", 1
        session.add(row)
    if silence == "resolve":
        resolve(desk.store, alert_id, "dana", now=desk.clock.now)
    else:
        snooze(desk.store, alert_id, "dana", until=desk.clock.now + timedelta(hours=1), now=desk.clock.now)
    restarted = desk.deliverer()
    while restarted.run_once():
        pass
    assert _calls("on-call") == 0 and _statuses(desk, alert_id) == ["cancelled"]


@pytest.mark.postgres
def test_an_ack_waits_for_the_transaction_that_is_claiming_its_row(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    joiner = "&" if "?" in postgres_url else "?"
    impatient = Store.open(f"{postgres_url}{joiner}options=-c%20lock_timeout%3D200")  # gives up instead of waiting
    try:
        store.save_batch("x", [make_post("1")], None)
        desk = Desk(store, settings(), Clock(NOON))
        alert_id = desk.raise_alert("a1", "on-call")
        with store.transaction(now=NOON) as claiming:
            assert claiming.alerts.silence_of([alert_id]) is None  # the deliverer read the alert: not silenced
            with pytest.raises(StoreError, match="lock"):
                acknowledge(impatient, alert_id, "dana", now=NOON)
        assert acknowledge(impatient, alert_id, "dana", now=NOON) is not None  # the claim committed
    finally:
        impatient.engine.dispose()
        store.engine.dispose()
