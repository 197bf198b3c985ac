"""The audit log (`tx.audit`): who did what to which thing, and when; the audit rows' one writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from bot.store.ops.base import Owner
from bot.store.web_tables import AuditRow


@dataclass(frozen=True, kw_only=True)
class AuditView:
    """One audit row."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class Audit(Owner):
    """Records actions and reads them back, newest first."""

    def record(self, actor: str, action: str, target: str, **detail: Any) -> None:
        """Record one action: who, what, on which thing, when."""
        self.session.add(AuditRow(at=self.now, actor=actor, action=action, target=target, detail=detail))

    def log(self, *, target: str | None = None, limit: int = 100) -> list[AuditView]:
        query = select(AuditRow).order_by(col(AuditRow.id).desc()).limit(limit)
        if target is not None:
            query = query.where(AuditRow.target == target)
        return [
            AuditView(id=r.id or 0, at=r.at, actor=r.actor, action=r.action, target=r.target, detail=dict(r.detail))
            for r in self.session.exec(query).all()
        ]
