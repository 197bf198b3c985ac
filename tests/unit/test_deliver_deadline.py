"""A hung ticket sink: the deliver stage gives up on the send at its deadline, retries it later, loses nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.actions import Delivery, TicketRequest
from bot.delivery import DeliverStage, Outbox
from bot.delivery.settings import AlertSettings, TicketSettings
from bot.delivery.sinks.stub import Sink as StubSink
from bot.store import Store
from bot.store.delivery_tables import OutboxRow
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock

DEADLINE = 0.3  # seconds: the total deadline of one send
TICKETS = TicketSettings.model_validate(
    {
        "sinks": {"stub": {"enabled": True}},
        "retry": {"max_attempts": 3, "backoff_seconds": 10, "timeout_seconds": DEADLINE},
    }
)


class HungSink(StubSink):
    """The stub sink, except that a call hangs until `release` is set (a server that never answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.hanging = True

    def open(self, request: TicketRequest) -> Delivery:
        if self.hanging:
            self.release.wait(30)
            return Delivery(ok=True, ref="LATE-1")  # the late answer nobody waits for any more
        return super().open(request)


@pytest.fixture
def sink() -> Iterator[HungSink]:
    hung = HungSink()
    yield hung
    hung.release.set()


def _rows(store: Store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.exec(select(OutboxRow)).all())


def _request() -> TicketRequest:
    return TicketRequest(
        idempotency_key="t1",
        queue="social",
        priority="high",
        subject="Broken",
        body="my car is broken",
        post_url="https://x.com/a/status/1",
        author_handle="a",
        requester_reach=10,
    )


def test_a_hung_sink_is_abandoned_at_the_deadline_and_the_ticket_retried(sqlite_store: Store, sink: HungSink) -> None:
    sqlite_store.save_batch("x", [make_post("1")], None)
    clock = Clock(NOON)
    with sqlite_store.transaction() as tx:
        Outbox(tickets=TICKETS, clock=clock).enqueue_ticket(tx, post_id=1, request=_request())
    stage = DeliverStage(
        sqlite_store, tickets=TICKETS, alerts=AlertSettings(), sinks={"stub": sink}, channels={}, clock=clock
    )
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(stage.run_once()), daemon=False)  # as `run --once`
    started = time.monotonic()
    worker.start()
    worker.join(10)
    assert done == [1], "the pass never came back from the hung sink"
    [hung] = [t for t in threading.enumerate() if t.name == "earshot-send-stub"]
    assert hung.daemon and hung.is_alive()  # left to finish on its own; it never holds the daemon at exit
    assert time.monotonic() - started < 5
    [row] = _rows(sqlite_store)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == f"no answer within {DEADLINE:g} s (total deadline)"
    assert NOON + timedelta(seconds=5) <= row.next_attempt_at <= NOON + timedelta(seconds=15)  # backoff, jittered

    sink.hanging = False  # the sink answers again
    sink.release.set()
    assert stage.run_once() == 0  # not before its retry time
    clock.advance(seconds=15)
    assert stage.run_once() == 1
    [row] = _rows(sqlite_store)
    assert (row.status, row.attempts, row.external_ref) == ("sent", 2, "STUB-1")
    assert list(sink.tickets) == ["STUB-1"]  # one ticket: the late answer of the hung call is dropped


class BrokenSink(StubSink):
    """A sink that breaks its contract and raises instead of returning a failed Delivery."""

    def open(self, request: TicketRequest) -> Delivery:
        self.calls += 1
        raise RuntimeError("boom")


def test_a_sink_that_raises_is_a_failed_send_retried_later(sqlite_store: Store) -> None:
    sqlite_store.save_batch("x", [make_post("1")], None)
    clock = Clock(NOON)
    with sqlite_store.transaction() as tx:
        Outbox(tickets=TICKETS, clock=clock).enqueue_ticket(tx, post_id=1, request=_request())
    sink = BrokenSink()
    stage = DeliverStage(
        sqlite_store, tickets=TICKETS, alerts=AlertSettings(), sinks={"stub": sink}, channels={}, clock=clock
    )
    assert stage.run_once() == 1
    [row] = _rows(sqlite_store)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "RuntimeError: boom")
    clock.advance(hours=1)
    stage.run_once()
    assert sink.calls == 2
