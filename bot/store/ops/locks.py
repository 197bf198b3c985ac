"""Advisory locks (`tx.locks`) among many processes, with PostgreSQL's own locks (on SQLite, one daemon: no-ops).

A lock lives as long as the transaction that does the work: a process that dies drops its connection and
with it every lock, so there is no lease to expire and no table of leases. Row claims are the owners'
(`tx.posts.claim`, `tx.outbox.lock`, `tx.outbox.due_by_target`).
"""

from __future__ import annotations

from sqlalchemy import text

from bot.store.locks import lock_key
from bot.store.ops.base import Owner


class Locks(Owner):
    """Advisory locks held until the transaction ends; they write no rows."""

    def hold(self, name: str) -> None:
        """Wait for the advisory lock `name` (PostgreSQL); released when the transaction ends."""
        if self.on_postgres:
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    def try_hold(self, name: str) -> bool:
        """Take the advisory lock `name` unless another process holds it (PostgreSQL; always True on SQLite)."""
        if not self.on_postgres:
            return True
        return bool(
            self.session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}).scalar()
        )
