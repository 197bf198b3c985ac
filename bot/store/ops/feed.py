"""The web feed (`tx.feed`): each alert with its post, labels, decision, incident and handling; what the
feed lists (`items`), what one alert's page shows (`item`, with its trend), and the stamp the page polls.

Only reads; the command line's plainer lists are `tx.listings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from bot.core.actions import PublicReply
from bot.core.labels import URGENCY_ORDER
from bot.store.delivery_tables import AlertRow
from bot.store.ops.alerts import reply_of
from bot.store.ops.base import Owner
from bot.store.routing_tables import IncidentRow, RouteDecisionRow
from bot.store.tables import ClassificationRow, EngagementSnapshotRow, PostRow
from bot.store.web_tables import AlertHandlingRow

FEED_STATUSES = ("open", "acked", "resolved", "all")  # open: nobody acknowledged it yet


@dataclass(frozen=True, kw_only=True)
class FeedFilter:
    """What the feed shows; every field comes from the page's URL."""

    tier: str = ""
    urgency: str = ""
    topic: str = ""
    source: str = ""
    status: str = "all"
    q: str = ""
    limit: int = 100


@dataclass(frozen=True, kw_only=True)
class FeedItem:
    """One alert as the feed shows it."""

    id: int
    title: str
    tier: str
    current_tier: str
    level: int
    rule: str
    reasons: tuple[str, ...]
    created_at: datetime
    acked_at: datetime | None
    acked_by: str | None
    next_escalation_at: datetime | None
    assignee: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    snoozed_until: datetime | None
    post_id: int | None
    text: str
    author: str | None
    reach: int | None
    source: str
    url: str
    complaint_score: float | None
    urgency: str | None
    sentiment: str | None
    language: str | None  # the post's language as the classifier detected it
    topics: tuple[tuple[str, float], ...]
    needs_review: bool
    visibility: dict[str, Any]
    incident_id: int | None
    incident_size: int | None
    incident_sources: tuple[str, ...]
    ticket_id: int | None
    reply: PublicReply | None = None  # the brand's first public reply to the post
    reply_acknowledges: bool = True  # False: the reply did not acknowledge it (the safety override's)
    trend: tuple[int, ...] = field(default=())  # interactions at each engagement snapshot, oldest first
    shadow: bool = False  # raised in shadow mode: would have been sent, was not

    @property
    def status(self) -> str:
        return "resolved" if self.resolved_at else "acked" if self.acked_at else "open"


class Feed(Owner):
    """Reads for the web feed."""

    def items(self, f: FeedFilter) -> list[FeedItem]:
        """Alerts matching `f`: unacknowledged first, then the most urgent, then the newest."""
        query = _joined()
        if f.tier:
            query = query.where(or_(col(AlertRow.tier) == f.tier, col(AlertRow.current_tier) == f.tier))
        if f.urgency:
            query = query.where(ClassificationRow.urgency == f.urgency)
        if f.source:
            query = query.where(PostRow.source == f.source)
        if f.status == "open":
            query = query.where(col(AlertRow.acked_at).is_(None))
        elif f.status == "acked":
            query = query.where(col(AlertRow.acked_at).is_not(None), col(AlertRow.resolved_at).is_(None))
        elif f.status == "resolved":
            query = query.where(col(AlertRow.resolved_at).is_not(None))
        if f.q:
            pattern = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    col(PostRow.text).ilike(pattern, escape="\\"),
                    col(PostRow.author_handle).ilike(pattern, escape="\\"),
                )
            )
        rows = self.session.exec(query.order_by(col(AlertRow.id).desc()).limit(max(f.limit, 1) * 3)).all()
        items = [_item(*row) for row in rows]
        if f.topic:
            items = [i for i in items if f.topic in (name for name, _ in i.topics)]
        items.sort(key=_rank)
        return items[: f.limit]

    def item(self, alert_id: int) -> FeedItem | None:
        """One alert with everything the detail page shows, its engagement trend included."""
        row = self.session.exec(_joined().where(AlertRow.id == alert_id)).first()
        if row is None:
            return None
        item = _item(*row)
        if item.post_id is None:
            return item
        snaps = self.session.exec(
            select(EngagementSnapshotRow)
            .where(EngagementSnapshotRow.post_id == item.post_id)
            .order_by(col(EngagementSnapshotRow.taken_at))
        ).all()
        trend = tuple(s.likes + s.reposts + s.replies + s.quotes for s in snaps)
        return FeedItem(**{**item.__dict__, "trend": trend})

    def trends(self, post_ids: list[int]) -> dict[int, tuple[int, ...]]:
        """Interactions at each snapshot, oldest first, for many posts in one query."""
        found: dict[int, list[int]] = {}
        if not post_ids:
            return {}
        snaps = self.session.exec(
            select(EngagementSnapshotRow)
            .where(col(EngagementSnapshotRow.post_id).in_(post_ids))
            .order_by(col(EngagementSnapshotRow.taken_at))
        ).all()
        for s in snaps:
            found.setdefault(s.post_id, []).append(s.likes + s.reposts + s.replies + s.quotes)
        return {key: tuple(value) for key, value in found.items()}

    def unacked_count(self) -> int:
        return int(
            self.session.exec(select(func.count(col(AlertRow.id))).where(col(AlertRow.acked_at).is_(None))).one()
        )

    def stamp(self) -> tuple[int, str]:
        """Changes when an alert is added, acknowledged, escalated or handled: cheap enough to poll every second."""
        newest, acked, levels = self.session.exec(
            select(func.max(AlertRow.id), func.count(col(AlertRow.acked_at)), func.sum(AlertRow.escalation_level))
        ).one()
        resolved, snoozed = self.session.exec(
            select(func.count(col(AlertRow.resolved_at)), func.max(AlertRow.snoozed_until))
        ).one()
        touched = self.session.exec(select(func.max(AlertHandlingRow.updated_at))).one()
        return int(newest or 0), f"{newest}:{acked}:{resolved}:{snoozed}:{levels}:{touched}"


def _joined() -> Any:
    return (
        select(  # type: ignore[call-overload]  # six entities: more than sqlmodel types
            AlertRow, PostRow, ClassificationRow, RouteDecisionRow, IncidentRow, AlertHandlingRow
        )
        .join(PostRow, col(PostRow.id) == AlertRow.post_id, isouter=True)
        .join(ClassificationRow, col(ClassificationRow.post_id) == AlertRow.post_id, isouter=True)
        .join(RouteDecisionRow, col(RouteDecisionRow.post_id) == AlertRow.post_id, isouter=True)
        .join(IncidentRow, col(IncidentRow.id) == AlertRow.incident_id, isouter=True)
        .join(AlertHandlingRow, col(AlertHandlingRow.alert_id) == AlertRow.id, isouter=True)
    )


def _rank(item: FeedItem) -> tuple[int, int, float]:
    urgency = URGENCY_ORDER.index(item.urgency) if item.urgency in URGENCY_ORDER else -1
    return (0 if item.acked_at is None else 1, -urgency, -item.created_at.timestamp())


def _item(
    alert: AlertRow,
    post: PostRow | None,
    labels: ClassificationRow | None,
    decision: RouteDecisionRow | None,
    incident: IncidentRow | None,
    handling: AlertHandlingRow | None,
) -> FeedItem:
    assert alert.id is not None
    return FeedItem(
        id=alert.id,
        title=str(alert.message.get("title") or (post.text[:80] if post else f"alert {alert.id}")),
        tier=alert.tier,
        current_tier=alert.current_tier,
        level=alert.escalation_level,
        rule=alert.rule,
        reasons=tuple(decision.reasons) if decision else (),
        created_at=alert.created_at,
        acked_at=alert.acked_at,
        acked_by=alert.acked_by,
        next_escalation_at=alert.next_escalation_at,
        assignee=handling.assignee if handling else None,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
        snoozed_until=alert.snoozed_until,
        post_id=alert.post_id,
        text=post.text if post else "",
        author=post.author_handle if post else None,
        reach=post.author_reach if post else None,
        source=post.source if post else "",
        url=post.url if post else "",
        complaint_score=labels.complaint_score if labels else None,
        urgency=labels.urgency if labels else None,
        sentiment=labels.sentiment if labels else None,
        language=labels.language if labels else None,
        topics=tuple((str(t.get("name")), float(t.get("score", 0.0))) for t in (labels.topics if labels else [])),
        needs_review=bool(labels and labels.needs_review),
        visibility=dict(decision.visibility) if decision else {},
        incident_id=alert.incident_id,
        incident_size=incident.post_count if incident else None,
        incident_sources=tuple(incident.sources) if incident else (),
        ticket_id=decision.ticket_id if decision else None,
        reply=reply_of(alert),
        reply_acknowledges=alert.reply_acknowledges,
        shadow=alert.shadow,
    )
