"""Claiming work among many processes with PostgreSQL's own locks (on SQLite, one daemon: no-ops).

A claim lives as long as the transaction that does the work: a process that dies drops its
connection and with it every claim, so there is no lease to expire and no table of leases.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import insert, text, update
from sqlmodel import col, select

from bot.core.labels import Labels
from bot.store.convert import classification_row, classification_values, post_from_row
from bot.store.delivery_records import OutboxItem
from bot.store.delivery_tables import OutboxRow
from bot.store.locks import lock_key
from bot.store.ops.base import Ops
from bot.store.ops.delivery import DUE
from bot.store.ops.delivery import _item as outbox_item
from bot.store.records import StoredPost
from bot.store.stages import STAGE_CLASSIFIED, STAGE_SKIPPED
from bot.store.tables import ClassificationRow, PostRow


class ClaimOps(Ops):
    """Row claims (`FOR UPDATE SKIP LOCKED`) and advisory locks, held until the transaction ends."""

    def claim_posts(self, stage: str, limit: int, exclude: Collection[int] = ()) -> list[StoredPost]:
        """Up to `limit` posts waiting at `stage`, oldest first, that no other process holds.

        `exclude`: ids this process's other threads are working on (SQLite has no row locks to skip).
        """
        query = select(PostRow).where(PostRow.stage == stage)
        if exclude:
            query = query.where(col(PostRow.id).not_in(list(exclude)))
        rows = self.session.exec(query.order_by(col(PostRow.id)).limit(limit).with_for_update(skip_locked=True)).all()
        self.session.info.setdefault("claimed", []).extend(rows)  # kept: reading them again costs no query
        return [StoredPost(id=row.id, post=post_from_row(row)) for row in rows]  # type: ignore[arg-type]

    def lock_outbox_item(self, row_id: int) -> OutboxItem | None:
        """The outbox row, locked until the transaction ends; None if gone or another process holds it."""
        row = self.session.exec(
            select(OutboxRow).where(OutboxRow.id == row_id).with_for_update(skip_locked=True)
        ).first()
        return outbox_item(row) if row is not None else None

    def due_outbox_by_target(self, limit: int) -> dict[str, list[int]]:
        """Ids of the rows due now, oldest first, up to `limit` per target, skipping rows being sent elsewhere."""
        due = (col(OutboxRow.status).in_(DUE), OutboxRow.next_attempt_at <= self.now)
        targets = self.session.exec(select(OutboxRow.target).where(*due).distinct()).all()
        found: dict[str, list[int]] = {}
        for target in sorted(targets):
            ids = self.session.exec(
                select(OutboxRow.id)
                .where(OutboxRow.target == target, *due)
                .order_by(col(OutboxRow.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            found[target] = [row_id for row_id in ids if row_id is not None]
        return found

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

    def save_labels(self, labelled: Sequence[tuple[int, Labels]], *, skip: Sequence[int] = ()) -> None:
        """Store labels and move their posts to `classified` (or `skipped` when in `skip`)."""
        skipped = set(skip)
        ids = [post_id for post_id, _ in labelled]
        known = set(
            self.session.exec(select(ClassificationRow.post_id).where(col(ClassificationRow.post_id).in_(ids))).all()
        )
        fresh = [
            classification_values(post_id, labels, self.now) for post_id, labels in labelled if post_id not in known
        ]
        if fresh:  # Core, one executemany: building an ORM row per post cost more than storing it
            self.session.execute(insert(ClassificationRow.__table__), fresh)  # type: ignore[attr-defined]
        for post_id, labels in labelled:
            if post_id in known:
                self.session.merge(classification_row(post_id, labels, self.now))  # labelled before: replaced
        present = self.session.exec(select(PostRow.id).where(col(PostRow.id).in_(ids))).all()
        moves = [
            {"id": post_id, "stage": STAGE_SKIPPED if post_id in skipped else STAGE_CLASSIFIED, "stage_at": self.now}
            for post_id in present
        ]
        if moves:
            self.session.execute(update(PostRow), moves)
