"""Posts as the stages move them: claiming a batch, its stage, the review flag, and its engagement snapshots.

A post arrives through bot/store/intake.py (inserted, refreshed, snapshotted); after that, its stage
and its review flag have this one writer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event, func, update
from sqlmodel import Session, col, select

from bot.core.posts import Engagement, Snapshot
from bot.store.convert import post_from_row
from bot.store.ops.base import Owner, TxCache
from bot.store.records import StoredPost
from bot.store.tables import EngagementSnapshotRow, PostRow


@dataclass
class HeldStages:
    """Stage moves held until the transaction commits, then written in one statement.

    Held, they are not flushed before each of the batch's later queries (an UPDATE per post behind
    an autoflush was a large part of the route stage's time); this transaction's reads go through them.
    """

    stages: dict[int, str] = field(default_factory=dict)
    listening: bool = False

    def write(self, session: Session, now: datetime) -> None:
        if self.stages:
            moves = [{"id": post_id, "stage": stage, "stage_at": now} for post_id, stage in self.stages.items()]
            session.execute(update(PostRow), moves)
        self.stages.clear()


class Posts(Owner):
    """Claims posts at a stage and moves them on; the post rows' stage and review flag have this one writer."""

    def __init__(self, session: Session, now: datetime, *, cache: TxCache) -> None:
        super().__init__(session, now)
        self.cache = cache
        self._held = HeldStages()

    def claim(self, stage: str, limit: int, exclude: Collection[int] = ()) -> list[StoredPost]:
        """Up to `limit` posts waiting at `stage`, oldest first, that no other process holds
        (`FOR UPDATE SKIP LOCKED`, until the transaction ends; on SQLite, one daemon: no lock).

        `exclude`: ids this process's other threads are working on (SQLite has no row locks to skip).
        """
        query = select(PostRow).where(PostRow.stage == stage)
        if exclude:
            query = query.where(col(PostRow.id).not_in(list(exclude)))
        rows = self.session.exec(query.order_by(col(PostRow.id)).limit(limit).with_for_update(skip_locked=True)).all()
        self.cache.kept.extend(rows)  # kept: reading them again costs no query
        return [StoredPost(id=row.id, post=post_from_row(row)) for row in rows]  # type: ignore[arg-type]

    def stage_of(self, post_id: int) -> str | None:
        held = self._held.stages.get(post_id)
        if held is not None:
            return held
        row = self.session.get(PostRow, post_id)
        return row.stage if row else None

    def set_stage(self, post_id: int, stage: str) -> None:
        """Move the post to `stage` when the transaction commits (see HeldStages)."""
        if post_id in self._held.stages or self.session.get(PostRow, post_id) is not None:
            self._held.stages[post_id] = stage
            if not self._held.listening:
                self._held.listening = True
                held, now = self._held, self.now
                event.listen(self.session, "before_commit", lambda session: held.write(session, now))

    def move(self, stages: Mapping[int, str]) -> None:
        """Move each post still stored to its stage now, in one statement."""
        present = self.session.exec(select(PostRow.id).where(col(PostRow.id).in_(list(stages)))).all()
        moves = [{"id": i, "stage": stages[i], "stage_at": self.now} for i in present if i is not None]
        if moves:
            self.session.execute(update(PostRow), moves)

    def to_review(self, limit: int) -> list[int]:
        """Routed posts flagged with a snapshot newer than their last look, oldest first (an indexed read).

        Claimed `FOR UPDATE SKIP LOCKED`: on PostgreSQL another process's review skips them.
        """
        ids = self.session.exec(
            select(PostRow.id)
            .where(col(PostRow.review_due).is_(True))
            .order_by(col(PostRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [post_id for post_id in ids if post_id is not None]

    def to_review_of(self, post_ids: Sequence[int]) -> list[int]:
        """Those of `post_ids` still flagged for review (another process may have reviewed them)."""
        ids = self.session.exec(
            select(PostRow.id).where(col(PostRow.id).in_(list(post_ids)), col(PostRow.review_due).is_(True))
        ).all()
        return [post_id for post_id in ids if post_id is not None]

    def clear_review(self, post_id: int) -> None:
        """The post's newest engagement was looked at: off the review list."""
        post = self.session.get(PostRow, post_id)
        if post is not None and post.review_due:
            post.review_due = False
            self.session.add(post)

    def newest_snapshot_at(self, post_id: int) -> datetime | None:
        return self.session.exec(
            select(func.max(EngagementSnapshotRow.taken_at)).where(EngagementSnapshotRow.post_id == post_id)
        ).one()

    def snapshots_of(self, post_id: int) -> list[Snapshot]:
        """The post's engagement snapshots, oldest first."""
        rows = self.cache.snapshots.get(post_id)
        if rows is None:
            rows = list(
                self.session.exec(
                    select(EngagementSnapshotRow)
                    .where(EngagementSnapshotRow.post_id == post_id)
                    .order_by(col(EngagementSnapshotRow.taken_at))
                ).all()
            )
        return [snapshot_of(s) for s in rows]


def snapshot_of(row: EngagementSnapshotRow) -> Snapshot:
    return Snapshot(
        taken_at=row.taken_at,
        author_reach=row.author_reach,
        engagement=Engagement(
            likes=row.likes, reposts=row.reposts, replies=row.replies, quotes=row.quotes, views=row.views
        ),
    )
