"""Routing's operations: labels and snapshots to assess, decisions and their explanations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.core.actions import Decision
from bot.core.labels import Labels
from bot.core.posts import Engagement, Snapshot
from bot.store.convert import labels_from_row
from bot.store.delivery_tables import AlertRow, TicketRow
from bot.store.ops.base import Ops
from bot.store.routing_tables import (
    RouteDecisionRow,
)
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


class RoutingOps(Ops):
    """Reads and writes of the route stage; the decision rows have this one writer (incidents: IncidentOps)."""

    # --- what a post is ----------------------------------------------------------------

    def stage_of(self, post_id: int) -> str | None:
        row = self.session.get(PostRow, post_id)
        return row.stage if row else None

    def set_stage(self, post_id: int, stage: str) -> None:
        row = self.session.get(PostRow, post_id)
        if row is not None:
            row.stage, row.stage_at = stage, self.now
            self.session.add(row)

    def labels_of(self, post_id: int) -> Labels | None:
        row = self.session.get(ClassificationRow, post_id)
        return labels_from_row(row) if row else None

    def prefetch(self, post_ids: Sequence[int]) -> None:
        """Read the labels, snapshots and decisions of a batch of posts in three queries, kept for this
        transaction: routing the batch then reads them without a query per post."""
        ids = list(post_ids)
        keep = self.session.info.setdefault("claimed", [])
        keep += self.session.exec(select(ClassificationRow).where(col(ClassificationRow.post_id).in_(ids))).all()
        decided = self.session.exec(select(RouteDecisionRow).where(col(RouteDecisionRow.post_id).in_(ids))).all()
        keep += decided
        self.session.info["undecided"] = set(ids) - {row.post_id for row in decided}
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
        if post_id in self.session.info.get("undecided", ()):
            return None
        row = self.session.get(RouteDecisionRow, post_id)
        return _decision(row) if row else None

    def save_decision(self, decision: Decision) -> None:
        """Insert or replace the post's decision."""
        undecided = self.session.info.get("undecided", set())
        known = None if decision.post_id in undecided else self.session.get(RouteDecisionRow, decision.post_id)
        undecided.discard(decision.post_id)
        values = {name: getattr(decision, name) for name in DECISION_FIELDS}
        values["reasons"] = list(decision.reasons)
        if values["decided_at"] is None:
            del values["decided_at"]
        if known is None:
            # every field given: sqlmodel works out an omitted default_factory field per row, slowly
            row = RouteDecisionRow(post_id=decision.post_id, **({"decided_at": self.now} | values))
        else:
            row = known
            for name, value in values.items():
                setattr(row, name, value)
        self.session.add(row)

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
        """One line per alert a post raised: tier, current tier, status, who acknowledged it."""
        rows = self.session.exec(select(AlertRow).where(AlertRow.post_id == post_id).order_by(col(AlertRow.id))).all()
        return [
            f"alert #{a.id} to {a.tier} (now {a.current_tier}, {a.status}"
            f"{', acked by ' + a.acked_by if a.acked_by else ''})"
            for a in rows
        ]


def _decision(row: RouteDecisionRow) -> Decision:
    values: dict[str, Any] = {name: getattr(row, name) for name in DECISION_FIELDS}
    values["reasons"] = tuple(row.reasons)
    return Decision(post_id=row.post_id, **values)
