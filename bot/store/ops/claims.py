"""Claiming work among many processes with PostgreSQL's own locks (on SQLite, one daemon: no-ops).

A claim lives as long as the transaction that does the work: a process that dies drops its
connection and with it every claim, so there is no lease to expire and no table of leases.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlmodel import col, select

from bot.store.convert import post_from_row
from bot.store.ops.base import Ops
from bot.store.records import StoredPost
from bot.store.tables import PostRow


def lock_key(name: str) -> int:
    """A stable 32-bit advisory lock key for a name."""
    return zlib.crc32(name.encode("utf-8"))


class ClaimOps(Ops):
    """Row claims (`FOR UPDATE SKIP LOCKED`) and advisory locks, held until the transaction ends."""

    @property
    def on_postgres(self) -> bool:
        bind = self.session.get_bind()
        return bind.dialect.name == "postgresql"

    def claim_posts(self, stage: str, limit: int) -> list[StoredPost]:
        """Up to `limit` posts waiting at `stage`, oldest first, that no other process holds."""
        rows = self.session.exec(
            select(PostRow)
            .where(PostRow.stage == stage)
            .order_by(col(PostRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [StoredPost(id=row.id, post=post_from_row(row)) for row in rows]  # type: ignore[arg-type]

    def advisory_lock(self, name: str) -> None:
        """Wait for the advisory lock `name` (PostgreSQL); released when the transaction ends."""
        if self.on_postgres:
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    def try_advisory_lock(self, name: str) -> bool:
        """Take the advisory lock `name` unless another process holds it (PostgreSQL; always True on SQLite)."""
        if not self.on_postgres:
            return True
        return bool(
            self.session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}).scalar()
        )

    def notify(self, channel: str) -> None:
        """Wake the processes listening on `channel` once this transaction commits (PostgreSQL)."""
        if self.on_postgres:
            self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})
