"""Handling alerts from the feed: claim, reassign, notes, and label corrections.

Acknowledge, resolve and snooze are AlertOps (bot/store/ops/alerts.py), the operations `earshot ack`
and bot.delivery use, so each cancels the alert's unsent messages the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.store.delivery_tables import AlertRow
from bot.store.ops.base import Ops
from bot.store.tables import ClassificationRow, PostRow
from bot.store.web_tables import CORRECTION_KINDS, AlertHandlingRow, AlertNoteRow, CorrectionRow


@dataclass(frozen=True, kw_only=True)
class NoteView:
    id: int
    alert_id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class CorrectionView:
    """A stored correction: post `post_id` is not a complaint, its topic/urgency is `value`, or it paged at
    urgency `value` and should not have (a false alarm)."""

    id: int
    post_id: int
    kind: str
    value: str
    text: str
    author: str
    created_at: datetime


class HandlingOps(Ops):
    """Writes of the feed's actions; each returns False/None when the alert does not exist."""

    def claim_alert(self, alert_id: int, assignee: str) -> bool:
        """`assignee` holds the alert (a claim, or a reassignment by someone else)."""
        row = self._handling(alert_id)
        if row is None:
            return False
        row.assignee, row.claimed_at = assignee, self.now
        self.session.add(row)
        return True

    def add_note(self, alert_id: int, author: str, body: str) -> bool:
        row = self._handling(alert_id)
        if row is None:
            return False
        self.session.add(row)
        self.session.add(AlertNoteRow(alert_id=alert_id, author=author, body=body, created_at=self.now))
        return True

    def notes(self, alert_id: int) -> list[NoteView]:
        rows = self.session.exec(
            select(AlertNoteRow).where(AlertNoteRow.alert_id == alert_id).order_by(col(AlertNoteRow.id))
        ).all()
        return [
            NoteView(id=r.id or 0, alert_id=r.alert_id, author=r.author, body=r.body, created_at=r.created_at)
            for r in rows
        ]

    def feed_stamp(self) -> tuple[int, str]:
        """Changes when an alert is added, acknowledged, escalated or handled: cheap enough to poll every second."""
        newest, acked, levels = self.session.exec(
            select(func.max(AlertRow.id), func.count(col(AlertRow.acked_at)), func.sum(AlertRow.escalation_level))
        ).one()
        resolved, snoozed = self.session.exec(
            select(func.count(col(AlertRow.resolved_at)), func.max(AlertRow.snoozed_until))
        ).one()
        touched = self.session.exec(select(func.max(AlertHandlingRow.updated_at))).one()
        return int(newest or 0), f"{newest}:{acked}:{resolved}:{snoozed}:{levels}:{touched}"

    def add_correction(self, post_id: int, kind: str, value: str, author: str) -> CorrectionView | None:
        """Store a correction of post `post_id`'s labels; None if no such post."""
        if kind not in CORRECTION_KINDS:
            raise ValueError(f"unknown correction {kind!r}; the kinds are {', '.join(CORRECTION_KINDS)}")
        post = self.session.get(PostRow, post_id)
        if post is None:
            return None
        row = CorrectionRow(post_id=post_id, kind=kind, value=value, text=post.text, author=author, created_at=self.now)
        self.session.add(row)
        labels = self.session.get(ClassificationRow, post_id)
        if labels is not None and labels.needs_review:
            labels.needs_review = False  # a human looked: out of the review queue
            self.session.add(labels)
        self.session.flush()
        return _correction(row)

    def corrections(self, limit: int = 500) -> list[CorrectionView]:
        rows = self.session.exec(select(CorrectionRow).order_by(col(CorrectionRow.id).desc()).limit(limit)).all()
        return [_correction(r) for r in rows]

    def _handling(self, alert_id: int) -> AlertHandlingRow | None:
        """The alert's handling row (made on first use), its `updated_at` set to now; None if no alert."""
        if self.session.get(AlertRow, alert_id) is None:
            return None
        row = self.session.get(AlertHandlingRow, alert_id) or AlertHandlingRow(alert_id=alert_id, updated_at=self.now)
        row.updated_at = self.now
        return row


def _correction(row: CorrectionRow) -> CorrectionView:
    return CorrectionView(
        id=row.id or 0,
        post_id=row.post_id,
        kind=row.kind,
        value=row.value,
        text=row.text,
        author=row.author,
        created_at=row.created_at,
    )
