"""Routing's operations: labels and snapshots to assess, decisions and their explanations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, insert, union_all, update
from sqlmodel import Session, col, select

from bot.core.actions import Decision
from bot.core.labels import Labels
from bot.core.posts import Engagement, Snapshot
from bot.store.convert import labels_from_row
from bot.store.delivery_tables import AlertRow, TicketEventRow, TicketRow
from bot.store.ops.alerts import reply_of
from bot.store.ops.base import Ops
from bot.store.routing_tables import IncidentPostRow, RouteDecisionRow
from bot.store.tables import ClassificationRow, EngagementSnapshotRow, PostRow

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
class RouteWrites:
    """New decisions and stage moves held until the transaction commits, then written in one statement each.

    Held, they are not flushed before each of the batch's later queries (one INSERT and one UPDATE
    per post, each behind an autoflush, were a fifth of the route stage's time); no query of the
    route stage reads another post's decision or stage, and this transaction's reads go through them.
    """

    decisions: dict[int, Decision] = field(default_factory=dict)
    stages: dict[int, str] = field(default_factory=dict)

    def write(self, session: Session, now: datetime) -> None:
        if self.decisions:
            rows = [_decision_values(decision, now) for decision in self.decisions.values()]
            session.execute(insert(RouteDecisionRow.__table__), rows)  # type: ignore[attr-defined]  # Core: one executemany
        if self.stages:
            moves = [{"id": post_id, "stage": stage, "stage_at": now} for post_id, stage in self.stages.items()]
            session.execute(update(PostRow), moves)
        self.decisions.clear()
        self.stages.clear()


class RoutingOps(Ops):
    """Reads and writes of the route stage; the decision rows have this one writer (incidents: IncidentOps)."""

    # --- what a post is ----------------------------------------------------------------

    def stage_of(self, post_id: int) -> str | None:
        held = self._writes().stages.get(post_id)
        if held is not None:
            return held
        row = self.session.get(PostRow, post_id)
        return row.stage if row else None

    def set_stage(self, post_id: int, stage: str) -> None:
        """Move the post to `stage` when the transaction commits (see RouteWrites)."""
        if post_id in self._writes().stages or self.session.get(PostRow, post_id) is not None:
            self._writes().stages[post_id] = stage

    def labels_of(self, post_id: int) -> Labels | None:
        row = self.session.get(ClassificationRow, post_id)
        return labels_from_row(row) if row else None

    def prefetch(self, post_ids: Sequence[int]) -> None:
        """Read the labels, snapshots, decisions, incident memberships and tickets of a batch of posts in five
        queries, kept for this transaction: routing the batch then reads them without a query per post."""
        ids = list(post_ids)
        keep = self.session.info.setdefault("claimed", [])
        keep += self.session.exec(select(ClassificationRow).where(col(ClassificationRow.post_id).in_(ids))).all()
        decided = self.session.exec(select(RouteDecisionRow).where(col(RouteDecisionRow.post_id).in_(ids))).all()
        keep += decided
        self.session.info["undecided"] = set(ids) - {row.post_id for row in decided}
        members = self.session.exec(select(IncidentPostRow).where(col(IncidentPostRow.post_id).in_(ids))).all()
        keep += members
        self.session.info["unmembered"] = set(ids) - {row.post_id for row in members}
        opened = select(TicketRow.post_id).where(col(TicketRow.post_id).in_(ids))
        commented = select(TicketEventRow.post_id).where(col(TicketEventRow.post_id).in_(ids))
        self.session.info["unticketed"] = set(ids) - set(self.session.execute(union_all(opened, commented)).scalars())
        snapshots: dict[int, list[EngagementSnapshotRow]] = {post_id: [] for post_id in ids}
        for row in self.session.exec(
            select(EngagementSnapshotRow)
            .where(col(EngagementSnapshotRow.post_id).in_(ids))
            .order_by(col(EngagementSnapshotRow.post_id), col(EngagementSnapshotRow.taken_at))
        ).all():
            snapshots[row.post_id].append(row)
        self.session.info["snapshots"] = snapshots

    def snapshots_of(self, post_id: int) -> list[Snapshot]:
        """The post's engagement snapshots, oldest first."""
        rows = self.session.info.get("snapshots", {}).get(post_id)
        if rows is None:
            rows = self.session.exec(
                select(EngagementSnapshotRow)
                .where(EngagementSnapshotRow.post_id == post_id)
                .order_by(col(EngagementSnapshotRow.taken_at))
            ).all()
        return [
            Snapshot(
                taken_at=s.taken_at,
                author_reach=s.author_reach,
                engagement=Engagement(
                    likes=s.likes, reposts=s.reposts, replies=s.replies, quotes=s.quotes, views=s.views
                ),
            )
            for s in rows
        ]

    # --- decisions ---------------------------------------------------------------------

    def decision(self, post_id: int) -> Decision | None:
        held = self._writes().decisions.get(post_id)
        if held is not None or post_id in self.session.info.get("undecided", ()):
            return held
        row = self.session.get(RouteDecisionRow, post_id)
        return _decision(row) if row else None

    def save_decision(self, decision: Decision) -> None:
        """Insert the post's decision when the transaction commits (see RouteWrites), or replace its stored one."""
        held = self._writes().decisions
        new = decision.post_id in held or decision.post_id in self.session.info.get("undecided", ())
        known = None if new else self.session.get(RouteDecisionRow, decision.post_id)
        if known is None:
            held[decision.post_id] = decision
            return
        for name, value in _decision_values(decision, self.now).items():
            setattr(known, name, value)
        self.session.add(known)

    def _writes(self) -> RouteWrites:
        """This transaction's held writes; they are written just before it commits."""
        writes = self.session.info.get("route_writes")
        if writes is None:
            writes = self.session.info["route_writes"] = RouteWrites()
            now = self.now
            event.listen(self.session, "before_commit", lambda session: writes.write(session, now))
        return writes

    def posts_to_review(self, limit: int) -> list[int]:
        """Routed posts flagged with a snapshot newer than their last look, oldest first (an indexed read).

        Claimed `FOR UPDATE SKIP LOCKED`: on PostgreSQL another process's review skips them.
        """
        ids = self.session.exec(
            select(PostRow.id)
            .where(col(PostRow.review_due).is_(True))
            .order_by(col(PostRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [post_id for post_id in ids if post_id is not None]

    def posts_to_review_of(self, post_ids: Sequence[int]) -> list[int]:
        """Those of `post_ids` still flagged for review (another process may have reviewed them)."""
        ids = self.session.exec(
            select(PostRow.id).where(col(PostRow.id).in_(list(post_ids)), col(PostRow.review_due).is_(True))
        ).all()
        return [post_id for post_id in ids if post_id is not None]

    def newest_snapshot_at(self, post_id: int) -> datetime | None:
        return self.session.exec(
            select(func.max(EngagementSnapshotRow.taken_at)).where(EngagementSnapshotRow.post_id == post_id)
        ).one()

    def mark_reviewed(self, post_id: int, at: datetime | None = None) -> None:
        """The post's newest engagement was looked at (`at`, when given, is written to its decision)."""
        post = self.session.get(PostRow, post_id)
        if post is not None and post.review_due:
            post.review_due = False
            self.session.add(post)
        row = self.session.get(RouteDecisionRow, post_id)
        if row is not None and at is not None:
            row.reviewed_at = at
            self.session.add(row)

    # --- what a decision caused (for explanations) -------------------------------------

    def ticket_brief(self, ticket_id: int) -> str | None:
        """`status, queue/priority` of a ticket, or None when it is gone."""
        row = self.session.get(TicketRow, ticket_id)
        return f"{row.status}, {row.queue}/{row.priority}" if row else None

    def alert_briefs(self, post_id: int) -> list[str]:
        """A line per alert a post raised (tier, current tier, status, who acknowledged it), and one more for
        the brand's public reply kept on it."""
        rows = self.session.exec(select(AlertRow).where(AlertRow.post_id == post_id).order_by(col(AlertRow.id))).all()
        return [line for a in rows for line in _alert_brief(a)]


def _alert_brief(alert: AlertRow) -> list[str]:
    line = (
        f"alert #{alert.id} to {alert.tier} (now {alert.current_tier}, {alert.status}"
        f"{', acked by ' + alert.acked_by if alert.acked_by else ''})"
    )
    reply = reply_of(alert)
    if reply is None:
        return [line]
    stands = "" if alert.reply_acknowledges else "; not an acknowledgement: only a person acknowledges this alert"
    return [line, f"  public reply: {reply.describe()}{stands}"]


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
