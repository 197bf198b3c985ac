"""The outbox: tickets and alerts stored before they are sent, retried with backoff, sent once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core.actions import AlertMessage, Delivery, TicketRequest
from bot.delivery import DeliverStage, Outbox
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.delivery.sinks.stub import Sink as StubSink
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketEventRow, TicketRow
from tests.conftest import make_post

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TICKETS = TicketSettings.model_validate(
    {"sinks": {"stub": {"enabled": True}}, "retry": {"max_attempts": 3, "backoff_seconds": 10}}
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(store: Store) -> Store:
    """The shared store fixture (SQLite and PostgreSQL), with three posts to hang tickets on."""
    store.save_batch("x", [make_post("1"), make_post("2"), make_post("3")], None)
    return store


def _request(key: str, **extra: object) -> TicketRequest:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "queue": "social",
        "priority": "high",
        "subject": "Broken",
        "body": "my car is broken",
        "post_url": "https://x.com/a/status/1",
        "author_handle": "a",
        "requester_reach": 10,
        **extra,
    }
    return TicketRequest(**fields)  # type: ignore[arg-type]


def _enqueue(store: Store, outbox: Outbox, key: str, post_id: int = 1, **extra: object) -> int:
    with store.transaction() as tx:
        return outbox.enqueue_ticket(tx, post_id=post_id, request=_request(key, **extra))


def _stage(store: Store, sink: StubSink, clock: Clock) -> DeliverStage:
    return DeliverStage(
        store,
        tickets=TICKETS,
        alerts=AlertSettings(),
        sinks={"stub": sink},
        channels={},
        clock=clock,
        jitter=lambda: 0.5,
    )


def _rows(store: Store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)).all())  # type: ignore[arg-type]


def test_ticket_gets_due_times_from_its_priority_and_one_outbox_row_per_enabled_sink(store: Store) -> None:
    ticket_id = _enqueue(store, Outbox(tickets=TICKETS, clock=Clock()), "t1")
    with store.session() as session:
        ticket = session.get(TicketRow, ticket_id)
    assert ticket is not None and ticket.status == "new"
    assert ticket.first_response_due == NOW + timedelta(minutes=60)
    assert ticket.resolution_due == NOW + timedelta(hours=24)
    assert [(r.kind, r.target, r.idempotency_key) for r in _rows(store)] == [("ticket", "stub", "t1:stub")]


def test_enqueue_is_idempotent_on_the_key(store: Store) -> None:
    outbox = Outbox(tickets=TICKETS, clock=Clock())
    assert _enqueue(store, outbox, "t1") == _enqueue(store, outbox, "t1")
    assert len(_rows(store)) == 1


def test_follow_up_in_the_same_incident_comments_instead_of_opening_a_second_ticket(store: Store) -> None:
    outbox = Outbox(tickets=TICKETS, clock=Clock())
    first = _enqueue(store, outbox, "t1", incident_id=7)
    second = _enqueue(store, outbox, "t2", post_id=2, incident_id=7)
    third = _enqueue(store, outbox, "t3", post_id=3, thread_ref="x:conv-1")
    fourth = _enqueue(store, outbox, "t4", post_id=3, thread_ref="x:conv-1")
    assert first == second and third != first and fourth == third
    with store.session() as session:
        assert len(session.exec(select(TicketRow)).all()) == 2
        assert len(session.exec(select(TicketEventRow)).all()) == 2
    assert [r.payload["op"] for r in _rows(store)] == ["open", "comment", "open", "comment"]


def test_delivery_writes_the_remote_ref_back_and_never_sends_twice(store: Store) -> None:
    sink, clock = StubSink(), Clock()
    ticket_id = _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t1", incident_id=7)
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t2", post_id=2, incident_id=7)
    stage = _stage(store, sink, clock)
    assert stage.run_once() == 2
    assert stage.run_once() == 0
    clock.now += timedelta(days=1)
    assert stage.run_once() == 0
    assert sink.calls == 2 and len(sink.comments) == 1
    with store.session() as session:
        assert session.get(TicketRow, ticket_id).external_refs == {"stub": "STUB-1"}  # type: ignore[union-attr]
    assert {r.status for r in _rows(store)} == {"sent"}


def test_failed_send_is_retried_with_exponential_backoff_then_succeeds(store: Store) -> None:
    sink, clock = StubSink(), Clock()
    sink.fail_next = [Delivery(ok=False, error="HTTP 503"), Delivery(ok=False, error="HTTP 503")]
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t1")
    stage = _stage(store, sink, clock)
    stage.run_once()
    assert _rows(store)[0].next_attempt_at == NOW + timedelta(seconds=10)
    clock.now += timedelta(seconds=10)
    stage.run_once()
    assert _rows(store)[0].next_attempt_at == clock.now + timedelta(seconds=20)
    clock.now += timedelta(seconds=19)
    assert stage.run_once() == 0
    clock.now += timedelta(seconds=1)
    stage.run_once()
    row = _rows(store)[0]
    assert (row.status, row.attempts, row.external_ref) == ("sent", 3, "STUB-1")


def test_permanent_rejection_goes_dead_at_once(store: Store) -> None:
    sink, clock = StubSink(), Clock()
    sink.fail_next = [Delivery(ok=False, error="HTTP 422", retryable=False)]
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t1")
    _stage(store, sink, clock).run_once()
    row = _rows(store)[0]
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "HTTP 422")


def test_retries_stop_after_max_attempts(store: Store) -> None:
    sink, clock = StubSink(), Clock()
    sink.fail_next = [Delivery(ok=False, error="HTTP 500")] * 5
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t1")
    stage = _stage(store, sink, clock)
    for _ in range(5):
        stage.run_once()
        clock.now += timedelta(hours=1)
    assert (_rows(store)[0].status, sink.calls) == ("dead", 3)


def test_row_left_sending_by_a_crash_is_resent_with_the_same_key_on_restart(store: Store) -> None:
    sink, clock = StubSink(), Clock()
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t1")
    with store.session() as session:  # what a crash between claim and record leaves behind
        row = session.exec(select(OutboxRow)).one()
        row.status, row.attempts, row.next_attempt_at = "sending", 1, NOW + timedelta(minutes=5)
        session.add(row)
    sink.by_key["t1"] = "STUB-7"  # the remote got it before the crash
    sink.tickets["STUB-7"] = _request("t1")
    _stage(store, sink, clock).run_once()
    row = _rows(store)[0]
    assert (row.status, row.attempts, row.external_ref) == ("sent", 2, "STUB-7")
    assert len(sink.tickets) == 1


def test_comment_waits_until_its_ticket_is_open_at_the_sink(store: Store) -> None:
    sink, clock = StubSink(), Clock()
    sink.fail_next = [Delivery(ok=False, error="HTTP 503")]
    outbox = Outbox(tickets=TICKETS, clock=clock)
    _enqueue(store, outbox, "t1", incident_id=7)
    _enqueue(store, outbox, "t2", post_id=2, incident_id=7)
    stage = _stage(store, sink, clock)
    stage.run_once()
    assert [r.status for r in _rows(store)] == ["pending", "pending"]
    clock.now += timedelta(minutes=1)
    stage.run_once()
    assert [r.status for r in _rows(store)] == ["sent", "sent"]
    assert sink.comments[0][0] == "STUB-1"


def test_alert_to_a_tier_without_channels_lands_in_the_feed(store: Store) -> None:
    outbox = Outbox(alerts=AlertSettings(), clock=Clock())
    message = AlertMessage(
        idempotency_key="a1",
        tier="on-call",
        title="Fire",
        text="fire",
        post_url="u",
        author_handle="a",
        author_reach=1,
        labels={},
        velocity_per_hour=0.0,
        projected_reach=1.0,
        incident_id=None,
        incident_size=1,
        rule="safety",
        reasons=(),
        feed_url="f",
        created_at=NOW,
    )
    with store.transaction() as tx:
        alert_id = outbox.enqueue_alert(tx, post_id=1, message=message)
        assert outbox.enqueue_alert(tx, post_id=1, message=message) == alert_id
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
    assert alert is not None and alert.status == "sent" and alert.next_escalation_at == NOW + timedelta(minutes=15)
    assert _rows(store) == []


def test_deliver_logs_the_tickets_it_opened_per_sink(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    sink, clock = StubSink(), Clock()
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t1", incident_id=7)
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t2", post_id=2, incident_id=7)
    _enqueue(store, Outbox(tickets=TICKETS, clock=clock), "t3", post_id=3)
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        _stage(store, sink, clock).run_once()
    passes = [r for r in caplog.records if r.getMessage() == "delivered"]
    assert [r.tickets_opened for r in passes] == [{"stub": 2}]  # type: ignore[attr-defined]
