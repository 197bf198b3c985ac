"""Routing's decisions (`tx.routing`): the route_decision rows' one writer.

Before a batch is routed, `prefetch` reads what routing asks of each post in five queries and puts it in
the transaction's `TxCache`, where the labels, posts, incidents and tickets owners find it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, union_all
from sqlmodel import Session, col, select

from bot.core.actions import Decision
from bot.store.delivery_tables import AlertRow, TicketEventRow, TicketRow
from bot.store.ops.base import Owner, TxCache
from bot.store.ops.posts import Posts
from bot.store.routing_tables import IncidentPostRow, RouteDecisionRow
from bot.store.tables import ClassificationRow, EngagementSnapshotRow

DECISION_FIELDS = (
    "rule",
    "reasons",
    "ticket_queue",
    "ticket_priority",
    "alert_tier",
    "digest",
    "suppressed",
    "incident_id",
    "ticket_id",
    "ticket_action",
    "alert_id",
    "visibility",
    "decided_at",
    "reviewed_at",
)


@dataclass
class HeldDecisions:
    """New decisions held until the transaction commits, then inserted in one statement.

    Held, they are not flushed before each of the batch's later queries (an INSERT per post behind an
    autoflush was a large part of the route stage's time); no query of the route stage reads another
    post's decision, and this transaction's reads go through them.
    """

    decisions: dict[int, Decision] = field(default_factory=dict)
    listening: bool = False

    def write(self, session: Session, now: datetime) -> None:
        if self.decisions:
            rows = [_decision_values(decision, now) for decision in self.decisions.values()]
            session.execute(insert(RouteDecisionRow.__table__), rows)  # type: ignore[attr-defined]  # Core: one executemany
        self.decisions.clear()


class Routing(Owner):
    """Reads and writes of the route stage's decisions (incidents: `tx.incidents`; stages: `tx.posts`)."""

    def __init__(self, session: Session, now: datetime, *, cache: TxCache, posts: Posts) -> None:
        super().__init__(session, now)
        self.cache = cache
        self.posts = posts
        self._held = HeldDecisions()

    def prefetch(self, post_ids: Sequence[int]) -> None:
        """Read the labels, snapshots, decisions, incident memberships and tickets of a batch of posts in five
        queries, kept for this transaction: routing the batch then reads them without a query per post."""
        ids = list(post_ids)
        cache = self.cache
        cache.kept += self.session.exec(select(ClassificationRow).where(col(ClassificationRow.post_id).in_(ids))).all()
        decided = self.session.exec(select(RouteDecisionRow).where(col(RouteDecisionRow.post_id).in_(ids))).all()
        cache.kept += decided
        cache.undecided = set(ids) - {row.post_id for row in decided}
        members = self.session.exec(select(IncidentPostRow).where(col(IncidentPostRow.post_id).in_(ids))).all()
        cache.kept += members
        cache.unmembered = set(ids) - {row.post_id for row in members}
        opened = select(TicketRow.post_id).where(col(TicketRow.post_id).in_(ids))
        commented = select(TicketEventRow.post_id).where(col(TicketEventRow.post_id).in_(ids))
        cache.unticketed = set(ids) - set(self.session.execute(union_all(opened, commented)).scalars())
        snapshots: dict[int, list[EngagementSnapshotRow]] = {post_id: [] for post_id in ids}
        for row in self.session.exec(
            select(EngagementSnapshotRow)
            .where(col(EngagementSnapshotRow.post_id).in_(ids))
            .order_by(col(EngagementSnapshotRow.post_id), col(EngagementSnapshotRow.taken_at))
        ).all():
            snapshots[row.post_id].append(row)
        cache.snapshots = snapshots

    def decision(self, post_id: int) -> Decision | None:
        held = self._held.decisions.get(post_id)
        if held is not None or post_id in self.cache.undecided:
            return held
        row = self.session.get(RouteDecisionRow, post_id)
        return _decision(row) if row else None

    def save_decision(self, decision: Decision) -> None:
        """Insert the post's decision when the transaction commits (see HeldDecisions), or replace its stored one."""
        held = self._held.decisions
        new = decision.post_id in held or decision.post_id in self.cache.undecided
        known = None if new else self.session.get(RouteDecisionRow, decision.post_id)
        if known is None:
            held[decision.post_id] = decision
            if not self._held.listening:
                self._held.listening = True
                writes, now = self._held, self.now
                event.listen(self.session, "before_commit", lambda session: writes.write(session, now))
            return
        for name, value in _decision_values(decision, self.now).items():
            setattr(known, name, value)
        self.session.add(known)

    def mark_reviewed(self, post_id: int, at: datetime | None = None) -> None:
        """The post's newest engagement was looked at (`at`, when given, is written to its decision)."""
        self.posts.clear_review(post_id)
        row = self.session.get(RouteDecisionRow, post_id)
        if row is not None and at is not None:
            row.reviewed_at = at
            self.session.add(row)

    def made_in_shadow(self, *, alert_id: int | None, ticket_id: int | None) -> bool:
        """Whether the alert or ticket of a decision was recorded in shadow mode ("would have sent")."""
        alert = self.session.get(AlertRow, alert_id) if alert_id is not None else None
        ticket = self.session.get(TicketRow, ticket_id) if ticket_id is not None else None
        return bool((alert and alert.shadow) or (ticket and ticket.shadow))


def _decision_values(decision: Decision, now: datetime) -> dict[str, Any]:
    """A decision as the columns of its row (`decided_at` defaults to the transaction's moment)."""
    values: dict[str, Any] = {name: getattr(decision, name) for name in DECISION_FIELDS}
    values["reasons"] = list(decision.reasons)
    values["decided_at"] = values["decided_at"] or now
    return {"post_id": decision.post_id, **values}


def _decision(row: RouteDecisionRow) -> Decision:
    values: dict[str, Any] = {name: getattr(row, name) for name in DECISION_FIELDS}
    values["reasons"] = tuple(row.reasons)
    return Decision(post_id=row.post_id, **values)
