"""Routing cost does not grow with the store: incident candidates come from the term index, bounded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import select

from bot.routing.incidents import MAX_CANDIDATES
from bot.store import Store
from bot.store.routing_tables import IncidentPostRow, IncidentRow
from tests.unit.routing_support import add, config, labels, post, route_stage

PROBE = "charged twice for the battery cooling recall repair invoice"


def _noise(i: int) -> str:  # shares five words with PROBE, so every noise incident is a candidate
    return f"charged twice battery cooling recall complaint number {i} something else entirely"


DIMENSIONS = 256


def _axis(i: int) -> tuple[float, ...]:  # orthogonal to every other post's embedding: never similar enough
    return tuple(1.0 if d == i else 0.0 for d in range(DIMENSIONS))


@contextmanager
def _work(store: Store) -> Iterator[list[str]]:
    """What routing read: one entry per SQL statement and per incident row loaded."""
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(sql)

    def loaded(row: IncidentRow, _context: object) -> None:
        seen.append(f"incident {row.id}")

    event.listen(store.engine, "before_cursor_execute", statement)
    event.listen(IncidentRow, "load", loaded)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", statement)
        event.remove(IncidentRow, "load", loaded)


def _route_probe(store: Store, native_id: str, noise: int, start: int, axis: int = 0) -> int:
    """Add `noise` incidents (each its own), then route one probe post; returns statements + incidents read."""
    items = [
        (post(f"n{start + i}", author=f"n{start + i}", text=_noise(start + i)), labels(embedding=_axis(start + i + 1)))
        for i in range(noise)
    ]
    add(store, items)
    stage = route_stage(config(), store)
    while stage.run_once():
        pass
    add(store, [(post(native_id, author=f"p{native_id}", text=PROBE), labels(embedding=_axis(axis)))])
    with _work(store) as seen:
        assert stage.run_once() == 1
    assert len([s for s in seen if s.startswith("incident ")]) <= MAX_CANDIDATES + 2  # + the one it opens
    return len(seen)


def test_routing_a_post_costs_the_same_with_few_or_many_candidate_incidents(sqlite_store: Store) -> None:
    few = _route_probe(sqlite_store, "p1", noise=20, start=0)
    many = _route_probe(sqlite_store, "p2", noise=60, start=100, axis=DIMENSIONS - 1)
    with sqlite_store.session() as session:
        assert len(session.exec(select(IncidentRow)).all()) >= 80  # each noise post opened its own incident
    assert many == few, f"routing a post read {few} things beside 20 incidents, {many} beside 80"


def test_a_post_still_joins_its_incident_among_many(sqlite_store: Store) -> None:
    _route_probe(sqlite_store, "p1", noise=30, start=0)
    add(sqlite_store, [(post("p9", author="other", text=PROBE + " again"), labels(embedding=_axis(0)))])
    route_stage(config(), sqlite_store).run_once()
    with sqlite_store.session() as session:
        members = {m.post_id: m for m in session.exec(select(IncidentPostRow)).all()}
    first = sqlite_store.find_post("x", "p1")
    second = sqlite_store.find_post("x", "p9")
    assert first and second
    assert members[second.id].how == "similar" and members[second.id].incident_id == members[first.id].incident_id


def test_a_batch_writes_its_decisions_and_stage_moves_in_one_statement_each(sqlite_store: Store) -> None:
    items = [(post(f"b{i}", author=f"a{i}", text=f"order {i} never arrived"), labels()) for i in range(12)]
    add(sqlite_store, items)
    stage = route_stage(config(), sqlite_store)
    with _work(sqlite_store) as seen:
        assert stage.run_once() == 12
    inserts = [s for s in seen if s.startswith("INSERT INTO route_decision")]
    moves = [s for s in seen if s.startswith("UPDATE post SET stage")]
    assert (len(inserts), len(moves)) == (1, 1), f"{len(inserts)} decision inserts, {len(moves)} stage updates"
    assert not [s for s in seen if "ticket.idempotency_key =" in s]  # the batch's posts were read without tickets
    assert len([s for s in seen if s.startswith("INSERT INTO ticket ")]) >= 1
    assert sqlite_store.count_posts("routed") == 12
    ids = [stored.id for i in range(12) if (stored := sqlite_store.find_post("x", f"b{i}"))]
    with sqlite_store.transaction() as tx:
        assert all((d := tx.routing.decision(post_id)) is not None and d.rule for post_id in ids)


def test_held_decisions_are_read_back_in_their_transaction_and_lost_with_it(sqlite_store: Store) -> None:
    add(sqlite_store, [(post("h1"), labels())])
    stored = sqlite_store.find_post("x", "h1")
    assert stored is not None
    stage = route_stage(config(), sqlite_store)

    class Abort(Exception):
        pass

    try:
        with sqlite_store.transaction() as tx:
            decision = stage.route(tx, stored)
            assert decision is not None and tx.routing.decision(stored.id) == decision
            assert tx.posts.stage_of(stored.id) == "routed"
            raise Abort
    except Abort:
        pass
    with sqlite_store.transaction() as tx:
        assert tx.routing.decision(stored.id) is None and tx.posts.stage_of(stored.id) == "classified"
    assert stage.run_once() == 1  # routed again, from the start
    with sqlite_store.transaction() as tx:
        assert tx.routing.decision(stored.id) is not None and tx.posts.stage_of(stored.id) == "routed"
