"""Shadow mode: tickets and alerts recorded as "would have sent", nothing sent, and never sent later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.delivery import DeliverStage, EscalationStage, Outbox, build_channels
from bot.delivery.sinks.stub import Sink as StubSink
from bot.digest.compose import compose
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketRow
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, clear_stub_channels, message, settings, titles
from tests.unit.test_outbox import TICKETS, _request


@pytest.fixture(autouse=True)
def _clear_stub_channels() -> Iterator[None]:
    clear_stub_channels()
    yield
    clear_stub_channels()


class Desk:
    """Outbox, escalate and deliver over one store, a recording ticket sink and stub alert channels."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock, self.alerts, self.sink = store, clock, settings(), StubSink()
        self.escalate = EscalationStage(store, alerts=self.alerts, clock=clock)
        self.deliver = DeliverStage(
            store,
            tickets=TICKETS,
            alerts=self.alerts,
            sinks={"stub": self.sink},
            channels=build_channels(self.alerts),
            clock=clock,
            jitter=lambda: 0.5,
        )

    def outbox(self, *, shadow: bool) -> Outbox:
        return Outbox(tickets=TICKETS, alerts=self.alerts, clock=self.clock, shadow=shadow)

    def route(self, post_id: int, key: str, *, shadow: bool, incident_id: int | None = None) -> tuple[int, int]:
        """What the route stage enqueues for a post: a ticket, and a page to on-call."""
        outbox = self.outbox(shadow=shadow)
        with self.store.transaction() as tx:
            ticket = outbox.enqueue_ticket(tx, post_id=post_id, request=_request(key, incident_id=incident_id))
            alert = outbox.enqueue_alert(tx, post_id=post_id, message=message(key, "on-call", "fire", self.clock.now))
        return ticket, alert

    def tick(self) -> None:
        self.escalate.run_once()
        while self.deliver.run_once():
            pass

    def rows(self, table: type) -> list:  # type: ignore[type-arg]
        with self.store.session() as session:
            return list(session.exec(select(table).order_by(table.id)).all())


@pytest.fixture
def desk(store: Store) -> Desk:
    """On SQLite, and on PostgreSQL when a server answers (tests/conftest.py)."""
    store.save_batch("x", [make_post(str(n)) for n in range(1, 5)], None)
    return Desk(store, Clock(NOON))


def test_shadow_mode_records_tickets_and_alerts_as_would_have_sent_and_sends_nothing(desk: Desk) -> None:
    ticket_id, alert_id = desk.route(1, "k1", shadow=True)
    desk.tick()
    assert desk.sink.calls == 0 and titles("on-call") == []
    [alert], [ticket] = desk.rows(AlertRow), desk.rows(TicketRow)
    assert (alert.id, alert.status, alert.shadow, alert.sent_at) == (alert_id, "shadow", True, None)
    assert (ticket.id, ticket.shadow) == (ticket_id, True)
    assert {(r.kind, r.target, r.status) for r in desk.rows(OutboxRow)} == {
        ("ticket", "stub", "shadow"),
        ("alert", "stub:on-call", "shadow"),
    }


def test_a_shadow_alert_escalates_on_paper_only(desk: Desk) -> None:
    desk.route(1, "k1", shadow=True)
    desk.clock.advance(minutes=16)
    desk.tick()
    [alert] = desk.rows(AlertRow)
    assert (alert.current_tier, alert.escalation_level) == ("executive", 1)
    assert titles("executive") == [] and {r.status for r in desk.rows(OutboxRow)} == {"shadow"}


def test_leaving_shadow_mode_never_sends_the_backlog_but_sends_new_posts(desk: Desk) -> None:
    desk.route(1, "old", shadow=True, incident_id=7)
    desk.tick()
    desk.clock.advance(minutes=20)  # the shadow alert is overdue: escalating it would page executives
    live_ticket, _ = desk.route(2, "new", shadow=False, incident_id=7)  # same incident: no thread onto shadow
    desk.tick()
    assert [r.subject for r in desk.sink.tickets.values()] == ["Broken"] and desk.sink.calls == 1
    assert titles("on-call") == ["[on-call] Alert new"] and titles("executive") == []
    sent = [(r.kind, r.ref_id) for r in desk.rows(OutboxRow) if r.status == "sent"]
    assert sent == [("ticket", live_ticket), ("alert", 2)]
    assert [r.status for r in desk.rows(OutboxRow) if r.status != "sent"] == ["shadow"] * 3  # + the escalation


def test_a_decision_knows_it_was_made_in_shadow_mode(desk: Desk) -> None:
    ticket_id, alert_id = desk.route(1, "old", shadow=True)
    with desk.store.transaction() as tx:
        assert tx.routing.made_in_shadow(alert_id=alert_id, ticket_id=None)
        assert tx.routing.made_in_shadow(alert_id=None, ticket_id=ticket_id)
        assert not tx.routing.made_in_shadow(alert_id=None, ticket_id=None)


def test_the_digest_counts_what_shadow_mode_would_have_sent(desk: Desk) -> None:
    desk.route(1, "a", shadow=True)
    desk.route(2, "b", shadow=True)
    with desk.store.transaction() as tx:
        desk.outbox(shadow=True).enqueue_ticket(tx, post_id=3, request=_request("c"))
    digest = compose(desk.store, NOON.replace(hour=0), NOON.replace(hour=23), brand="Aurora")
    assert digest.shadow_line == "in shadow mode: 2 pages, 3 tickets would have gone out (nothing was sent)"
    assert compose(desk.store, NOON.replace(day=1), NOON.replace(day=2), brand="Aurora").shadow_line is None


def test_the_feed_and_the_command_line_mark_what_shadow_mode_recorded(desk: Desk) -> None:
    desk.route(1, "a", shadow=True)
    desk.route(2, "b", shadow=False)
    with desk.store.transaction() as tx:
        alerts = {a.title: a.shadow for a in tx.listings.alerts()}
        tickets = sorted(t.shadow for t in tx.listings.tickets())
    assert alerts == {"Alert a": True, "Alert b": False} and tickets == [False, True]


def test_a_post_decided_in_shadow_mode_that_goes_viral_later_pages_nobody(sqlite_store: Store) -> None:
    from bot.store.routing_tables import RouteDecisionRow
    from tests.unit.routing_support import add, config, growth, labels, post, route_stage

    tweet = post("30", reach=2300)
    [post_id] = add(sqlite_store, [(tweet, labels(embedding=(1.0, 0.0, 0.0)))])
    while route_stage(config(), sqlite_store, shadow=True).run_once():
        pass
    sqlite_store.save_engagement(growth(tweet, reposts_per_half_hour=900))  # viral after shadow mode ended
    with sqlite_store.session() as session:
        row = session.get(RouteDecisionRow, post_id)
        row.decided_at = tweet.fetched_at  # type: ignore[union-attr]
        session.add(row)
    live = route_stage(config(), sqlite_store)
    while live.run_once():
        pass
    with sqlite_store.session() as session:
        alerts = list(session.exec(select(AlertRow)).all())
        decided = session.get(RouteDecisionRow, post_id)
    assert alerts == [] and decided is not None and decided.rule == "complaint"
    assert "review: rule 'viral-complaint' now holds; nothing sent, the post was decided in shadow mode" in (
        decided.reasons
    )
