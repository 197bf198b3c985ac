"""What every family of store operations shares: the open session of one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.clock import utcnow


class Ops:
    """A family of operations on the session of one open transaction (the caller commits)."""

    def __init__(self, session: Session, *, now: datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()  # one moment for everything the transaction writes

    @property
    def on_postgres(self) -> bool:
        return bool(self.session.get_bind().dialect.name == "postgresql")

    def held(self, kind: str) -> dict[int, Any]:
        """Rows of `kind` kept by id for this transaction (the session holds rows weakly and would read them again)."""
        rows: dict[int, Any] = self.session.info.setdefault(("held", kind), {})
        return rows
