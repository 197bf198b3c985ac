"""Outbox payloads: typed values whose stored JSON keeps the shape earlier releases wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.core.actions import TicketRequest
from bot.core.payloads import AlertSend, SummarySend, TicketSend, payload_from_json
from bot.delivery import Outbox
from bot.delivery.settings import TicketSettings
from bot.store import Store
from bot.store.delivery_tables import OutboxRow
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, settings

REQUEST = TicketRequest(
    idempotency_key="t1",
    queue="social",
    priority="high",
    subject="Broken",
    body="my car is broken",
    post_url="https://x.com/a/status/1",
    author_handle="a",
    requester_reach=10,
    labels={"urgency": "high"},
    incident_id=7,
)


@pytest.fixture(autouse=True)
def _clear_stub_channels() -> Iterator[None]:
    clear_stub_channels()
    yield
    clear_stub_channels()


def _stored(store: Store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)).all())  # type: ignore[arg-type]


def _every_kind(store: Store) -> list[OutboxRow]:
    """A ticket opened and commented on, two alerts over a cap of one, and the summary of the one held."""
    store.save_batch("x", [make_post("1"), make_post("2")], None)
    desk = Desk(store, settings(cap_per_hour=1), Clock(NOON.replace(minute=10)))
    outbox = Outbox(tickets=TicketSettings.model_validate({"sinks": {"stub": {"enabled": True}}}), clock=desk.clock)
    with store.transaction() as tx:
        outbox.enqueue_ticket(tx, post_id=1, request=REQUEST)
        outbox.enqueue_ticket(tx, post_id=2, request=TicketRequest(**{**REQUEST.__dict__, "idempotency_key": "t2"}))
    desk.raise_alert("first", "executive")
    desk.raise_alert("second", "executive")
    desk.tick()
    desk.clock.advance(minutes=51)
    desk.tick()
    return _stored(store)


def test_stored_json_of_every_kind_reads_back_to_the_same_json(sqlite_store: Store) -> None:
    rows = _every_kind(sqlite_store)
    payloads = [payload_from_json(row.kind, row.payload) for row in rows]
    assert [p.to_json() for p in payloads] == [row.payload for row in rows]
    assert [row.kind for row in rows] == [p.kind for p in payloads]
    kinds = {(type(p).__name__, getattr(p, "op", None)) for p in payloads}
    assert kinds == {("TicketSend", "open"), ("TicketSend", "comment"), ("AlertSend", None), ("SummarySend", None)}


def test_stored_json_keeps_the_shape_earlier_releases_wrote(sqlite_store: Store) -> None:
    rows = _every_kind(sqlite_store)
    opened, commented, first, second, summary = (row.payload for row in rows)
    request = {
        "idempotency_key": "t1", "queue": "social", "priority": "high", "subject": "Broken",
        "body": "my car is broken", "post_url": "https://x.com/a/status/1", "author_handle": "a",
        "requester_reach": 10, "labels": {"urgency": "high"}, "thread_ref": None, "incident_id": 7,
    }  # fmt: skip
    assert opened == {"op": "open", "ticket_id": rows[0].ref_id, "request": request}
    assert set(commented) == {"op", "ticket_id", "request", "event_id"} and commented["op"] == "comment"
    assert commented["ticket_id"] == rows[0].ref_id and isinstance(commented["event_id"], int)
    assert first == {"alert_id": rows[2].ref_id, "tier": "executive", "level": 0}
    assert second == {"alert_id": rows[3].ref_id, "tier": "executive", "level": 0}
    assert summary == {
        "summary": True,
        "titles": ["Alert second"],
        "alert_ids": [rows[3].ref_id],
        "window": "2026-11-20 12:00–13:00 UTC",
    }


@pytest.mark.parametrize(
    "payload",
    [
        TicketSend(op="open", ticket_id=1, request=REQUEST),
        TicketSend(op="comment", ticket_id=1, request=REQUEST, event_id=3),
        AlertSend(alert_id=2, tier="on-call", level=1),
        SummarySend(titles=("a", "b"), alert_ids=(4, 5), window="10:00–11:00 UTC"),
    ],
)
def test_a_payload_survives_its_json(payload: TicketSend | AlertSend | SummarySend) -> None:
    assert payload_from_json(payload.kind, payload.to_json()) == payload


@pytest.mark.parametrize(
    ("kind", "data", "says"),
    [
        ("ticket", {"op": "close", "ticket_id": 1, "request": {}}, "unknown ticket operation"),
        ("ticket", {"op": "open"}, "ticket outbox payload is malformed"),
        ("alert", {"alert_id": 1}, "alert outbox payload is malformed"),
        ("fax", {}, "unknown outbox row kind"),
    ],
)
def test_a_malformed_payload_is_a_clear_error(kind: str, data: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        payload_from_json(kind, data)
