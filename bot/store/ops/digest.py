"""The digest's reads (posts, incidents, overdue tickets of a period) and the digests kept.

A digest row is unique per (schedule, period): claiming it is an insert, so two processes, or a
daemon restarted mid-send, never build and send the same digest twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.delivery_tables import AlertRow, TicketRow
from bot.store.digest_tables import DigestRow
from bot.store.ops.base import Owner
from bot.store.routing_tables import IncidentPostRow, IncidentRow, RouteDecisionRow
from bot.store.tables import ClassificationRow, EngagementSnapshotRow, PostRow


@dataclass(frozen=True, kw_only=True)
class DigestPost:
    """A post of the period with what the classifier and the router said of it."""

    id: int
    source: str
    author_handle: str | None
    author_reach: int | None
    text: str
    url: str
    kind: str
    created_at: datetime
    complaint: bool
    sentiment: str
    topics: tuple[str, ...]
    urgency: str
    rule: str | None
    digest: bool
    alerted: bool
    projected_reach: int
    velocity: float
    viral: bool
    incident_id: int | None
    language: str | None = None  # as the classifier detected it


@dataclass(frozen=True, kw_only=True)
class IncidentFacts:
    """An incident with its members' ids and the state of its ticket and alerts."""

    id: int
    status: str
    title: str
    topics: tuple[str, ...]
    opened_at: datetime
    post_ids: tuple[int, ...]
    ticket_id: int | None
    ticket_status: str | None
    ticket_queue: str | None
    assignee: str | None
    alerts: tuple[tuple[str, str, str | None], ...]  # (first tier, current tier, acked by) per alert


@dataclass(frozen=True, kw_only=True)
class TicketBreach:
    """A ticket past its first-response or resolution due time."""

    id: int
    queue: str
    priority: str
    status: str
    subject: str
    post_url: str
    what: str  # "first response" | "resolution"
    due: datetime


@dataclass(frozen=True, kw_only=True)
class DigestView:
    """A stored digest."""

    id: int
    schedule: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    status: str
    subject: str
    text: str
    html: str
    summary: dict[str, Any]
    sent_at: datetime | None


class Digests(Owner):
    """The digest's reads, and the digest rows (`tx.digests` is their one writer)."""

    def posts(self, start: datetime, end: datetime) -> list[DigestPost]:
        """Classified posts created in [start, end), oldest first."""
        rows = self.session.exec(
            select(PostRow, ClassificationRow, RouteDecisionRow)
            .join(ClassificationRow, col(ClassificationRow.post_id) == PostRow.id)
            .outerjoin(RouteDecisionRow, col(RouteDecisionRow.post_id) == PostRow.id)
            .where(PostRow.created_at >= start, PostRow.created_at < end, col(PostRow.is_deleted).is_(False))
            .order_by(col(PostRow.created_at))
        ).all()
        alerted = {
            pid for pid in self.session.exec(select(AlertRow.post_id).where(col(AlertRow.post_id).is_not(None))).all()
        }
        found = []
        for post, labels, decision in rows:
            seen = dict(decision.visibility) if decision is not None else {}
            found.append(
                DigestPost(
                    id=post.id or 0,
                    source=post.source,
                    author_handle=post.author_handle,
                    author_reach=post.author_reach,
                    text=post.text,
                    url=post.url,
                    kind=post.kind,
                    created_at=post.created_at,
                    complaint=labels.complaint,
                    sentiment=labels.sentiment,
                    language=labels.language,
                    topics=tuple(str(t.get("name")) for t in labels.topics if isinstance(t, dict)),
                    urgency=labels.urgency,
                    rule=decision.rule if decision else None,
                    digest=bool(decision and decision.digest),
                    alerted=post.id in alerted,
                    projected_reach=int(seen.get("projected_reach") or post.author_reach or 0),
                    velocity=float(seen.get("velocity") or 0.0),
                    viral=bool(seen.get("viral")),
                    incident_id=decision.incident_id if decision else None,
                )
            )
        return found

    def incident_facts(self, incident_ids: Sequence[int]) -> list[IncidentFacts]:
        """Each incident with every member (of any period), its ticket and its alerts."""
        found = []
        for row in self.session.exec(select(IncidentRow).where(col(IncidentRow.id).in_(list(incident_ids)))).all():
            members = self.session.exec(
                select(IncidentPostRow.post_id)
                .where(IncidentPostRow.incident_id == row.id)
                .order_by(col(IncidentPostRow.post_created_at))
            ).all()
            ticket = self.session.get(TicketRow, row.ticket_id) if row.ticket_id else None
            alerts = self.session.exec(
                select(AlertRow)
                .where(or_(col(AlertRow.incident_id) == row.id, col(AlertRow.post_id).in_(list(members))))
                .order_by(col(AlertRow.id))
            ).all()
            found.append(
                IncidentFacts(
                    id=row.id or 0,
                    status=row.status,
                    title=row.title,
                    topics=tuple(row.topics),
                    opened_at=row.opened_at,
                    post_ids=tuple(members),
                    ticket_id=row.ticket_id,
                    ticket_status=ticket.status if ticket else None,
                    ticket_queue=f"{ticket.queue}/{ticket.priority}" if ticket else None,
                    assignee=ticket.assignee if ticket else None,
                    alerts=tuple((a.tier, a.current_tier, a.acked_by) for a in alerts),
                )
            )
        return found

    def interactions_over_time(self, post_ids: Sequence[int]) -> list[tuple[datetime, int, int]]:
        """(when, post id, likes + reposts + replies + quotes) of every engagement snapshot of `post_ids`."""
        rows = self.session.exec(
            select(EngagementSnapshotRow)
            .where(col(EngagementSnapshotRow.post_id).in_(list(post_ids)))
            .order_by(col(EngagementSnapshotRow.taken_at))
        ).all()
        return [(r.taken_at, r.post_id, max(r.likes, 0) + r.reposts + r.replies + r.quotes) for r in rows]

    def post_alerts(self, post_id: int) -> list[tuple[str, str, str | None]]:
        """(first tier, current tier, acked by) of each alert about one post."""
        rows = self.session.exec(select(AlertRow).where(AlertRow.post_id == post_id).order_by(col(AlertRow.id))).all()
        return [(a.tier, a.current_tier, a.acked_by) for a in rows]

    def post_ticket(self, post_id: int) -> tuple[int, str, str, str | None] | None:
        """(id, status, queue/priority, assignee) of the ticket a post opened."""
        row = self.session.exec(select(TicketRow).where(TicketRow.post_id == post_id)).first()
        return (row.id or 0, row.status, f"{row.queue}/{row.priority}", row.assignee) if row else None

    def shadow_counts(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(alerts, tickets) recorded in shadow mode in [start, end): what would have gone out."""
        counted = []
        for table in (AlertRow, TicketRow):
            query = select(func.count()).select_from(table)
            query = query.where(col(table.shadow).is_(True), table.created_at >= start, table.created_at < end)
            counted.append(int(self.session.exec(query).one()))
        return counted[0], counted[1]

    def sla_breaches(self, at: datetime) -> list[TicketBreach]:
        """Unresolved tickets past first-response (still new) or resolution due at `at`, most overdue first."""
        found = []
        for row in self.session.exec(select(TicketRow).where(TicketRow.status != "resolved")).all():
            if row.status == "new" and row.first_response_due < at:
                what, due = "first response", row.first_response_due
            elif row.resolution_due < at:
                what, due = "resolution", row.resolution_due
            else:
                continue
            found.append(
                TicketBreach(
                    id=row.id or 0,
                    queue=row.queue,
                    priority=row.priority,
                    status=row.status,
                    subject=row.subject,
                    post_url=row.post_url,
                    what=what,
                    due=due,
                )
            )
        return sorted(found, key=lambda b: b.due)

    # --- digests kept -------------------------------------------------------------------

    def claim(self, schedule: str, start: datetime, end: datetime, *, lease_until: datetime) -> int | None:
        """Claim the digest of (schedule, period): its id, or None when it was sent or another holds it.

        A claim whose lease ran out unsent (a process that died mid-build) may be taken over.
        """
        row = self._digest_row(schedule, start, end)
        if row is None:
            row = DigestRow(schedule=schedule, period_start=start, period_end=end, created_at=self.now)
            row.lease_until = lease_until
            try:
                with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:
                return None  # another process claimed it first
            return row.id
        if row.status != "claimed" or (row.lease_until is not None and row.lease_until > self.now):
            return None
        row.lease_until = lease_until
        self.session.add(row)
        return row.id

    def keep(self, digest_id: int, *, subject: str, text: str, html: str, summary: dict[str, Any], status: str) -> None:
        """Store a built digest and where it stands (claimed: still to send; kept: never sent)."""
        row = self._row(digest_id)
        row.subject, row.text, row.html, row.summary, row.status = subject, text, html, summary, status
        self.session.add(row)

    def mark(self, digest_id: int, *, status: str, error: str | None = None, retry_at: datetime | None = None) -> None:
        """sent (now; never sent again), kept (built, not for sending), or still claimed with the
        error and when another attempt may take it over (`retry_at`)."""
        row = self._row(digest_id)
        row.status, row.error, row.lease_until = status, error, retry_at
        if status == "sent":
            row.sent_at = self.now
        self.session.add(row)

    def recent(self, limit: int = 20) -> list[DigestView]:
        """The digests kept, newest period first."""
        rows = self.session.exec(
            select(DigestRow).order_by(col(DigestRow.period_end).desc(), col(DigestRow.id).desc()).limit(limit)
        ).all()
        return [_view(row) for row in rows]

    def get(self, digest_id: int) -> DigestView | None:
        row = self.session.get(DigestRow, digest_id)
        return _view(row) if row else None

    def _digest_row(self, schedule: str, start: datetime, end: datetime) -> DigestRow | None:
        return self.session.exec(
            select(DigestRow).where(
                DigestRow.schedule == schedule, DigestRow.period_start == start, DigestRow.period_end == end
            )
        ).first()

    def _row(self, digest_id: int) -> DigestRow:
        row = self.session.get(DigestRow, digest_id)
        assert row is not None, f"no digest {digest_id}"
        return row


def _view(row: DigestRow) -> DigestView:
    fields = {name: getattr(row, name) for name in DigestView.__dataclass_fields__ if name != "summary"}
    return DigestView(**fields, summary=dict(row.summary))
