"""Metrics read from the store at scrape time: the same figures in the daemon, the web app and `earshot status`.

`register(store)` puts one collector on prometheus_client's default registry, reading `store`
(a later call points it at another store: one set of families, never duplicates).
A database that does not answer makes `earshot_store_scrape_ok` 0; the other families are then
left out of that scrape rather than failing it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select as sa_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from bot.core.errors import StoreError
from bot.core.spend import spend_of
from bot.store.delivery_tables import AlertRow, OutboxRow
from bot.store.stages import STAGE_CLASSIFIED, STAGE_INGESTED
from bot.store.tables import DeadLetterRow, PostRow, SourceCursorRow, SourceStateRow

if TYPE_CHECKING:
    from bot.store.store import Store

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0)
ACK_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 2 * 3600.0, 4 * 3600.0, 8 * 3600.0, 86400.0)
WAITING = ("pending", "sending", "held")
_registered: list[StoreCollector] = []  # at most one


class StoreCollector(Collector):
    """Every store-backed metric family, computed from the tables when scraped."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self) -> list[Any]:
        return []  # nothing to check at registration (that would query the database)

    def collect(self) -> Iterator[Any]:
        ok = GaugeMetricFamily("earshot_store_scrape_ok", "1 when the store answered this scrape.")
        try:
            with self.store.session() as session:
                families = list(_families(session))
        except (StoreError, SQLAlchemyError) as err:
            log.debug("metrics: the store did not answer: %s", err)
            ok.add_metric([], 0)
            yield ok
            return
        ok.add_metric([], 1)
        yield ok
        yield from families


def register(store: Store) -> StoreCollector:
    """The store-backed collector on the default registry, reading `store`."""
    if not _registered:
        _registered.append(StoreCollector(store))
        REGISTRY.register(_registered[0])
    _registered[0].store = store
    return _registered[0]


def unregister(store: Store) -> None:
    """Take the collector off the registry if it reads `store`."""
    if _registered and _registered[0].store is store:
        REGISTRY.unregister(_registered.pop())


def _families(session: Session) -> Iterator[Any]:
    states = session.exec(select(SourceStateRow)).all()
    ingested = CounterMetricFamily("earshot_posts_ingested", "New posts stored, per source.", labels=["source"])
    skipped = CounterMetricFamily(
        "earshot_records_skipped", "Records a source sent that could not be used, per source.", labels=["source"]
    )
    up = GaugeMetricFamily(
        "earshot_source_up", "1 while a source polls fine, 0 while failing or stopped.", labels=["source"]
    )
    alarm = GaugeMetricFamily(
        "earshot_source_alarm", "1 while the silent-source alarm is raised for a source.", labels=["source"]
    )
    reads = GaugeMetricFamily(
        "earshot_source_reads", "Posts read from a paid source this UTC day or month.", labels=["source", "period"]
    )
    spent = GaugeMetricFamily(
        "earshot_source_spend_usd",
        "What reading a paid source cost this UTC day or month.",
        labels=["source", "period"],
    )
    for row in session.exec(select(SourceCursorRow)).all():
        if (spend := spend_of(row.cursor)) is not None:
            reads.add_metric([row.source, "day"], spend.day_reads)
            reads.add_metric([row.source, "month"], spend.month_reads)
            spent.add_metric([row.source, "day"], spend.day_usd)
            spent.add_metric([row.source, "month"], spend.month_usd)
    for state in states:
        ingested.add_metric([state.source], state.posts_total)
        skipped.add_metric([state.source], state.skipped_total)
        up.add_metric([state.source], 1 if state.status == "ok" else 0)
        alarm.add_metric([state.source], 1 if state.alarm_since else 0)
    yield from (ingested, skipped, up, alarm, reads, spent)
    letters = GaugeMetricFamily("earshot_dead_letters", "Skipped records kept for inspection.", labels=["source"])
    for source, count in session.exec(select(DeadLetterRow.source, func.count()).group_by(DeadLetterRow.source)):
        letters.add_metric([source], count)
    yield letters
    yield _queue_depth(session)
    yield from _delivery(session)


def _queue_depth(session: Session) -> GaugeMetricFamily:
    depth = GaugeMetricFamily("earshot_queue_depth", "Items waiting for a stage.", labels=["stage"])
    posts = dict(
        session.exec(
            select(PostRow.stage, func.count())
            .where(col(PostRow.stage).in_([STAGE_INGESTED, STAGE_CLASSIFIED]))
            .group_by(PostRow.stage)
        ).all()
    )
    depth.add_metric(["classify"], posts.get(STAGE_INGESTED, 0))
    depth.add_metric(["route"], posts.get(STAGE_CLASSIFIED, 0))
    outbox = dict(
        session.exec(
            select(OutboxRow.kind, func.count()).where(col(OutboxRow.status).in_(WAITING)).group_by(OutboxRow.kind)
        ).all()
    )
    depth.add_metric(["deliver_ticket"], outbox.get("ticket", 0))
    depth.add_metric(["deliver_alert"], outbox.get("alert", 0))
    return depth


def _delivery(session: Session) -> Iterator[Any]:
    failures = CounterMetricFamily(
        "earshot_delivery_failures", "Failed sends, per kind (ticket, alert) and target.", labels=["kind", "target"]
    )
    rows = _rows(
        session,
        sa_select(
            col(OutboxRow.kind),
            col(OutboxRow.target),
            col(OutboxRow.status),
            func.sum(OutboxRow.attempts),
            func.count(),
        )
        .where(col(OutboxRow.attempts) > 0)
        .group_by(OutboxRow.kind, OutboxRow.target, OutboxRow.status),
    )
    totals: dict[tuple[str, str], int] = {}
    for kind, target, status, attempts, count in rows:
        failed = int(attempts) - (int(count) if status in ("sent", "sending") else 0)  # the last try of those
        totals[(kind, target)] = totals.get((kind, target), 0) + failed
    for (kind, target), failed in sorted(totals.items()):
        failures.add_metric([kind, target], failed)
    yield failures
    sent = _rows(
        session,
        select(AlertRow.sent_at, PostRow.created_at, PostRow.fetched_at)
        .join(PostRow, col(PostRow.id) == AlertRow.post_id)
        .where(col(AlertRow.sent_at).is_not(None)),
    )
    latency = HistogramMetricFamily(
        "earshot_alert_latency_seconds",
        "Seconds from a post's creation (since=post_created) or ingestion (since=ingested) to its alert's delivery.",
        labels=["since"],
    )
    latency.add_metric(["post_created"], *_buckets([(s - c).total_seconds() for s, c, _ in sent], LATENCY_BUCKETS))
    latency.add_metric(["ingested"], *_buckets([(s - f).total_seconds() for s, _, f in sent], LATENCY_BUCKETS))
    yield latency
    acked = _rows(
        session,
        select(AlertRow.acked_at, AlertRow.sent_at, AlertRow.created_at).where(col(AlertRow.acked_at).is_not(None)),
    )
    ack = HistogramMetricFamily(
        "earshot_time_to_acknowledge_seconds", "Seconds from an alert's delivery (or creation) to its acknowledgement."
    )
    ack.add_metric([], *_buckets([(a - (s or c)).total_seconds() for a, s, c in acked], ACK_BUCKETS))
    yield ack
    unacked = GaugeMetricFamily("earshot_alerts_unacknowledged", "Alerts sent that nobody acknowledged yet.")
    count = session.exec(
        select(func.count())
        .select_from(AlertRow)
        .where(col(AlertRow.acked_at).is_(None), col(AlertRow.sent_at).is_not(None))
    ).one()
    unacked.add_metric([], int(count))
    yield unacked


def _rows(session: Session, query: Any) -> list[Any]:
    return list(session.exec(query).all())


def _buckets(values: Sequence[float], bounds: Iterable[float]) -> tuple[list[tuple[str, float]], float]:
    """Cumulative (le, count) pairs ending in +Inf, and the sum, for a HistogramMetricFamily."""
    values = [max(v, 0.0) for v in values]
    pairs = [(str(bound), float(sum(1 for v in values if v <= bound))) for bound in bounds]
    pairs.append(("+Inf", float(len(values))))
    return pairs, float(sum(values))
