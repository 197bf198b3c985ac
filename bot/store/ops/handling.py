"""Handling alerts from the feed: claim, reassign, notes. The alert_handling and alert_note rows' one writer.

Acknowledge, resolve and snooze are `tx.alerts` (bot/store/ops/alerts.py), the operations `earshot ack`
and bot.delivery use, so each cancels the alert's unsent messages the same way; label corrections are
`tx.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot.store.delivery_tables import AlertRow
from bot.store.ops.base import Owner
from bot.store.web_tables import AlertHandlingRow, AlertNoteRow


@dataclass(frozen=True, kw_only=True)
class NoteView:
    id: int
    alert_id: int
    author: str
    body: str
    created_at: datetime


class Handling(Owner):
    """Writes of the feed's actions; each returns False/None when the alert does not exist."""

    def claim(self, alert_id: int, assignee: str) -> bool:
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

    def _handling(self, alert_id: int) -> AlertHandlingRow | None:
        """The alert's handling row (made on first use), its `updated_at` set to now; None if no alert."""
        if self.session.get(AlertRow, alert_id) is None:
            return None
        row = self.session.get(AlertHandlingRow, alert_id) or AlertHandlingRow(alert_id=alert_id, updated_at=self.now)
        row.updated_at = self.now
        return row
