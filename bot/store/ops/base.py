"""What every family of store operations shares: the open session of one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.clock import utcnow


class Ops:
    """A family of operations on the session of one open transaction (the caller commits)."""

    def __init__(self, session: Session, *, now: datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()  # one moment for everything the transaction writes
