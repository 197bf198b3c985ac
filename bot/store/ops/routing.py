"""Routing's operations: labels and snapshots to assess, decisions, incidents and their members."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import col, select

from bot.core.actions import Decision, Incident, IncidentMember
from bot.core.labels import Labels
from bot.core.posts import Engagement, Post, Snapshot
from bot.store.convert import labels_from_row
from bot.store.delivery_tables import AlertRow, TicketRow
from bot.store.ops.base import Ops
from bot.store.routing_tables import (
    INCIDENT_OPEN,
    IncidentPostRow,
    IncidentRow,
    IncidentTermRow,
    RouteDecisionRow,
)
from bot.store.tables import ClassificationRow, EngagementSnapshotRow, PostRow

TERM_LENGTH = 64  # longer "words" (a pasted hash) are never indexed
POSTINGS = 64  # per word, the newest incidents that used it are candidates (a common word stays cheap)
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


@dataclass(frozen=True, kw_only=True)
class MemberVector:
    """An incident member's embedding and text, for similarity grouping."""

    incident_id: int
    post_id: int
    embedding: tuple[float, ...]
    text: str


class RoutingOps(Ops):
    """Reads and writes of the route stage; the incident and decision rows have this one writer."""

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
        row = known or RouteDecisionRow(post_id=decision.post_id, decided_at=decision.decided_at or self.now)
        for name in DECISION_FIELDS:
            value = getattr(decision, name)
            if name == "reasons":
                value = list(value)
            if name == "decided_at" and value is None:
                continue
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

    # --- incidents ---------------------------------------------------------------------

    def incident(self, incident_id: int) -> Incident | None:
        row = self.session.get(IncidentRow, incident_id)
        return _incident(row) if row else None

    def open_incident(self, *, topics: Sequence[str], title: str, last_post_at: datetime) -> Incident:
        row = IncidentRow(topics=list(topics), title=title, opened_at=self.now, last_post_at=last_post_at)
        self.session.add(row)
        self.session.flush()
        return _incident(row)

    def add_member(
        self,
        incident_id: int,
        *,
        post_id: int,
        post: Post,
        topics: Sequence[str],
        reach: int,
        how: str,
        similarity: float | None,
    ) -> Incident:
        """Record `post` in the incident and update its counts, reach, sources and topics (once per post)."""
        row = self._incident_row(incident_id)
        if self.session.get(IncidentPostRow, post_id) is not None:
            return _incident(row)
        self.session.add(
            IncidentPostRow(
                post_id=post_id,
                incident_id=incident_id,
                joined_at=self.now,
                post_created_at=post.created_at,
                reach=reach,
                how=how,
                similarity=similarity,
            )
        )
        row.post_count += 1
        row.total_reach += reach
        row.sources = sorted({*row.sources, post.source})
        row.topics = list(dict.fromkeys([*row.topics, *topics]))
        row.last_post_at = max(row.last_post_at, post.created_at)
        self.session.add(row)
        return _incident(row)

    def grow_member(self, incident_id: int, post_id: int, reach: int) -> Incident:
        """Raise a member's reach (and so its incident's) to its newest projection."""
        row = self._incident_row(incident_id)
        member = self.session.get(IncidentPostRow, post_id)
        if member is not None and reach > member.reach:
            row.total_reach += reach - member.reach
            member.reach = reach
            self.session.add(member)
            self.session.add(row)
        return _incident(row)

    def note_incident_alerted(self, incident_id: int, tier: str) -> Incident:
        row = self._incident_row(incident_id)
        row.alert_tiers = [*row.alert_tiers, tier]
        self.session.add(row)
        return _incident(row)

    def set_incident_ticket(self, incident_id: int, ticket_id: int) -> Incident:
        row = self._incident_row(incident_id)
        row.ticket_id = ticket_id
        self.session.add(row)
        return _incident(row)

    def incident_of_post(self, source: str, native_id: str) -> Incident | None:
        """The incident holding the post `source:native_id` (what a repost joins)."""
        row = self.session.exec(
            select(IncidentRow)
            .join(IncidentPostRow, col(IncidentPostRow.incident_id) == IncidentRow.id)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(PostRow.source == source, PostRow.native_id == native_id)
        ).first()
        return _incident(row) if row else None

    def incident_of_thread(self, post: Post) -> Incident | None:
        """The incident of the newest earlier post by the same author in the same conversation."""
        row = self.session.exec(
            select(IncidentRow)
            .join(IncidentPostRow, col(IncidentPostRow.incident_id) == IncidentRow.id)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(
                PostRow.source == post.source,
                PostRow.author_handle == post.author_handle,
                PostRow.native_id != post.native_id,
                (PostRow.conversation_id == post.conversation_id) | (PostRow.native_id == post.conversation_id),
            )
            .order_by(col(IncidentPostRow.joined_at).desc())
        ).first()
        return _incident(row) if row else None

    def incident_candidates(
        self, terms: Collection[str], *, since: datetime, min_shared: int, limit: int
    ) -> list[tuple[Incident, int]]:
        """Open incidents active since `since` whose members used at least `min_shared` of `terms`, most
        words in common first. Bounded whatever the store holds: each word's newest POSTINGS incidents only."""
        words = sorted({t for t in terms if len(t) <= TERM_LENGTH})
        if len(words) < min_shared:
            return []
        postings = " UNION ALL ".join(  # plain SQL: built in microseconds, whatever the number of words
            f"SELECT * FROM (SELECT incident_id FROM incident_term WHERE term = :t{i} "
            f"ORDER BY incident_id DESC LIMIT :postings) AS p{i}"
            for i in range(len(words))
        )
        params: dict[str, Any] = {f"t{i}": word for i, word in enumerate(words)} | {"postings": POSTINGS}
        shared = Counter(incident_id for (incident_id,) in self.session.execute(text(postings), params))
        best = [i for i, n in sorted(shared.items(), key=lambda kv: (-kv[1], -kv[0])) if n >= min_shared]
        if not best:
            return []
        rows = self.session.exec(
            select(IncidentRow).where(
                col(IncidentRow.id).in_(best[:limit]),
                IncidentRow.status == INCIDENT_OPEN,
                IncidentRow.last_post_at >= since,
            )
        ).all()
        found = sorted(((_incident(row), shared[row.id]) for row in rows), key=lambda f: (-f[1], -f[0].id))
        return found[:limit]

    def add_incident_terms(self, incident_id: int, terms: Collection[str]) -> None:
        """Index the words of a new member under its incident (each word once)."""
        words = {t for t in terms if len(t) <= TERM_LENGTH}
        if not words:
            return
        known = set(
            self.session.exec(
                select(IncidentTermRow.term).where(
                    IncidentTermRow.incident_id == incident_id, col(IncidentTermRow.term).in_(words)
                )
            ).all()
        )
        self.session.add_all(IncidentTermRow(term=t, incident_id=incident_id) for t in sorted(words - known))

    def recent_members(self, incident_id: int, limit: int) -> list[int]:
        """The post ids of the incident's newest `limit` members."""
        return list(
            self.session.exec(
                select(IncidentPostRow.post_id)
                .where(IncidentPostRow.incident_id == incident_id)
                .order_by(col(IncidentPostRow.post_id).desc())
                .limit(limit)
            ).all()
        )

    def vectors_of(self, post_ids: Collection[int]) -> dict[int, tuple[list[float], str]]:
        """Each post's embedding and text, by post id."""
        if not post_ids:
            return {}
        rows = self.session.exec(
            select(ClassificationRow.post_id, ClassificationRow.embedding, PostRow.text)
            .join(PostRow, col(PostRow.id) == ClassificationRow.post_id)
            .where(col(ClassificationRow.post_id).in_(list(post_ids)))
        ).all()
        return {post_id: (list(embedding), text) for post_id, embedding, text in rows}

    def open_incidents_since(self, since: datetime) -> list[Incident]:
        rows = self.session.exec(
            select(IncidentRow).where(IncidentRow.status == INCIDENT_OPEN, IncidentRow.last_post_at >= since)
        ).all()
        return [_incident(row) for row in rows]

    def member_vectors(self, incident_ids: Sequence[int]) -> list[MemberVector]:
        rows = self.session.exec(
            select(IncidentPostRow.incident_id, IncidentPostRow.post_id, ClassificationRow.embedding, PostRow.text)
            .join(ClassificationRow, col(ClassificationRow.post_id) == IncidentPostRow.post_id)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(col(IncidentPostRow.incident_id).in_(list(incident_ids)))
        ).all()
        return [MemberVector(incident_id=i, post_id=p, embedding=tuple(e), text=t) for i, p, e, t in rows]

    def timeline(self, incident_id: int) -> list[IncidentMember]:
        """The incident's posts in the order they were written."""
        rows = self.session.exec(
            select(IncidentPostRow, PostRow)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(IncidentPostRow.incident_id == incident_id)
            .order_by(col(IncidentPostRow.post_created_at))
        ).all()
        return [
            IncidentMember(
                post_id=m.post_id,
                source=p.source,
                author_handle=p.author_handle,
                post_created_at=m.post_created_at,
                reach=m.reach,
                how=m.how,
                similarity=m.similarity,
            )
            for m, p in rows
        ]

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

    def _incident_row(self, incident_id: int) -> IncidentRow:
        row = self.session.get(IncidentRow, incident_id)
        if row is None:
            raise LookupError(f"no incident {incident_id}")
        return row


def _decision(row: RouteDecisionRow) -> Decision:
    values: dict[str, Any] = {name: getattr(row, name) for name in DECISION_FIELDS}
    values["reasons"] = tuple(row.reasons)
    return Decision(post_id=row.post_id, **values)


def _incident(row: IncidentRow) -> Incident:
    assert row.id is not None
    return Incident(
        id=row.id,
        status=row.status,
        title=row.title,
        topics=tuple(row.topics),
        sources=tuple(row.sources),
        post_count=row.post_count,
        total_reach=row.total_reach,
        alert_tiers=tuple(row.alert_tiers),
        ticket_id=row.ticket_id,
        opened_at=row.opened_at,
        last_post_at=row.last_post_at,
    )
