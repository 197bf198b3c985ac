"""What the command line and the sources page list: alerts, tickets, each source's state, posts judged off-brand.

Only reads (`tx.listings`); the web feed's alerts, with everything one alert page shows, are `tx.feed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.core.actions import PublicReply
from bot.store.delivery_tables import TICKET_STATUSES, AlertRow, TicketRow
from bot.store.ops.alerts import reply_of
from bot.store.ops.base import Owner

__all__ = ["TICKET_STATUSES", "AlertView", "Listings", "OffBrand", "SourceView", "TicketView", "off_brand_by_connector"]
from bot.store.tables import ClassificationRow, PostRow, SourceCursorRow, SourceStateRow


@dataclass(frozen=True, kw_only=True)
class AlertView:
    """One alert of the feed, with the post it is about."""

    id: int
    tier: str
    current_tier: str
    status: str
    level: int
    rule: str
    title: str | None
    created_at: datetime
    acked_by: str | None
    acked_at: datetime | None
    next_escalation_at: datetime | None
    post_id: int | None
    post_url: str | None
    reply: PublicReply | None = None  # the brand's first public reply to the post
    shadow: bool = False  # raised in shadow mode: would have been sent, was not


@dataclass(frozen=True, kw_only=True)
class TicketView:
    """One ticket of the built-in queue, with the post it is about."""

    id: int
    queue: str
    priority: str
    status: str
    subject: str
    first_response_due: datetime
    created_at: datetime
    post_id: int | None
    post_url: str | None
    shadow: bool = False  # opened in shadow mode: would have gone to the ticket sinks, did not


@dataclass(frozen=True, kw_only=True)
class SourceView:
    """A source's health and where it resumes."""

    source: str
    status: str
    last_success_at: datetime | None
    cursor: dict[str, Any] | None
    posts_today: int
    posts_total: int
    skipped_total: int
    last_error: str | None
    failing_since: datetime | None


@dataclass(frozen=True, kw_only=True)
class OffBrand:
    """Posts of one source the relevance check judged not about the brand since a moment, with a few of them."""

    source: str
    count: int
    examples: tuple[tuple[str, str], ...]  # (text snippet, why), newest first


class Listings(Owner):
    """Reads for `earshot alerts`, `earshot tickets` and `earshot sources`; they write nothing."""

    def alerts(self, *, unacked: bool = False, limit: int = 20) -> list[AlertView]:
        """Alerts, newest first; only those nobody acknowledged when `unacked`."""
        query = (
            select(AlertRow, PostRow.url)
            .join(PostRow, col(PostRow.id) == AlertRow.post_id, isouter=True)
            .order_by(col(AlertRow.id).desc())
            .limit(limit)
        )
        if unacked:
            query = query.where(col(AlertRow.acked_at).is_(None))
        return [
            AlertView(
                id=row.id,  # type: ignore[arg-type]
                tier=row.tier,
                current_tier=row.current_tier,
                status=row.status,
                level=row.escalation_level,
                rule=row.rule,
                title=row.message.get("title"),
                created_at=row.created_at,
                acked_by=row.acked_by,
                acked_at=row.acked_at,
                next_escalation_at=row.next_escalation_at,
                post_id=row.post_id,
                post_url=url,
                reply=reply_of(row),
                shadow=row.shadow,
            )
            for row, url in self.session.exec(query).all()
        ]

    def tickets(self, *, status: str | None = None, limit: int = 50) -> list[TicketView]:
        """Tickets of the built-in queue, newest first; only those in `status` when given."""
        if status is not None and status not in TICKET_STATUSES:
            raise ValueError(f"unknown ticket status {status!r}")
        query = (
            select(TicketRow, PostRow.url)
            .join(PostRow, col(PostRow.id) == TicketRow.post_id, isouter=True)
            .order_by(col(TicketRow.id).desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(TicketRow.status == status)
        return [
            TicketView(
                id=row.id,  # type: ignore[arg-type]
                queue=row.queue,
                priority=row.priority,
                status=row.status,
                subject=row.subject,
                first_response_due=row.first_response_due,
                created_at=row.created_at,
                post_id=row.post_id,
                post_url=row.post_url or url,
                shadow=row.shadow,
            )
            for row, url in self.session.exec(query).all()
        ]

    def off_brand(self, since: datetime, examples: int = 3) -> dict[str, OffBrand]:
        """Per source, posts classified since `since` as not about the brand: how many, and the newest few."""
        counts = self.session.exec(
            select(PostRow.source, func.count())
            .join(ClassificationRow, col(ClassificationRow.post_id) == PostRow.id)
            .where(col(ClassificationRow.about_brand).is_(False), ClassificationRow.classified_at >= since)
            .group_by(col(PostRow.source))
        ).all()
        found = {}
        for source, count in counts:
            rows = self.session.exec(
                select(PostRow.text, ClassificationRow.relevance)
                .join(ClassificationRow, col(ClassificationRow.post_id) == PostRow.id)
                .where(
                    PostRow.source == source,
                    col(ClassificationRow.about_brand).is_(False),
                    ClassificationRow.classified_at >= since,
                )
                .order_by(col(ClassificationRow.classified_at).desc(), col(PostRow.id).desc())
                .limit(examples)
            ).all()
            snippets = tuple((_snippet(text), why or "-") for text, why in rows)
            found[source] = OffBrand(source=source, count=int(count), examples=snippets)
        return found

    def sources(self) -> list[SourceView]:
        """Every source that has run, by name, with its saved cursor."""
        cursors = {row.source: dict(row.cursor) for row in self.session.exec(select(SourceCursorRow)).all()}
        return [
            SourceView(
                source=row.source,
                status=row.status,
                last_success_at=row.last_success_at,
                cursor=cursors.get(row.source),
                posts_today=row.posts_today,
                posts_total=row.posts_total,
                skipped_total=row.skipped_total,
                last_error=row.last_error,
                failing_since=row.failing_since,
            )
            for row in self.session.exec(select(SourceStateRow).order_by(col(SourceStateRow.source))).all()
        ]


def off_brand_by_connector(dropped: dict[str, OffBrand], connectors: list[str]) -> dict[str, OffBrand]:
    """`dropped` (keyed by the posts' source) keyed by the connector that brought them: each source under its own
    name, and what no connector of its own name brought (X and Reddit pages of a recording) under `replay`."""
    out = {name: dropped[name] for name in connectors if name in dropped}
    rest = [off for source, off in dropped.items() if source not in connectors]
    if rest and "replay" in connectors:
        examples = tuple(example for off in rest for example in off.examples)
        out["replay"] = OffBrand(source="replay", count=sum(off.count for off in rest), examples=examples[:3])
    return out


def _snippet(text: str, limit: int = 120) -> str:
    """A post's text on one line, cut to `limit` characters."""
    flat = " · ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())  # a title · its body
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
