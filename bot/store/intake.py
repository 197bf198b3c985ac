"""Storing what a source fetched: posts, dead letters, the cursor and the source's counts.

A batch is one transaction. When the database refuses a record the checks in `Post` let
through, the batch is stored again one record per transaction: the refused record becomes a
dead letter, the posts around it are kept, and the cursor moves on. An unreachable database
is not a refused record: that error is raised, and nothing is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, func, select

from bot.core.errors import StoreError
from bot.core.posts import DeadLetter, EngagementUpdate, Post
from bot.core.sanitize import payload_text
from bot.store.convert import post_values, snapshot_row, snapshot_values, update_from_post
from bot.store.stages import STAGE_INGESTED, STAGE_ROUTED
from bot.store.tables import DeadLetterRow, EngagementSnapshotRow, PostRow, SourceCursorRow

StageFor = Callable[[Post], str]
# Raised by the driver or the binding of one value: this record, not the database, is at fault.
REFUSED = (SQLAlchemyError, ValueError, TypeError, OverflowError, UnicodeError, RecursionError)


class PostRefused(Exception):
    """The database refused one of a batch's posts: store the batch again, one post at a time."""


def unavailable(err: BaseException) -> bool:
    """Whether a driver error means the database is gone (connection refused, broken, timed out)."""
    if isinstance(err, OperationalError | InterfaceError | DisconnectionError):
        return True
    return isinstance(err, DBAPIError) and err.connection_invalidated


def refused_record(err: BaseException) -> bool:
    """Whether `err` (or the StoreError wrapping it) is a refused record rather than a lost database."""
    cause = err.__cause__ if isinstance(err, StoreError) else err
    return cause is not None and not unavailable(cause) and isinstance(cause, REFUSED)


def known_rows(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], PostRow]:
    found: dict[tuple[str, str], PostRow] = {}
    by_source: dict[str, set[str]] = {}
    for source, native_id in keys:
        by_source.setdefault(source, set()).add(native_id)
    for source, ids in by_source.items():
        rows = session.exec(select(PostRow).where(PostRow.source == source, col(PostRow.native_id).in_(ids)))
        found.update({(row.source, row.native_id): row for row in rows})
    return found


def add_snapshot(session: Session, row: PostRow, update: EngagementUpdate, *, first: bool = False) -> int:
    """Record metrics once per (post, moment); the post row keeps the newest. `first`: the row is new."""
    exists = None
    if not first:
        exists = session.exec(
            select(EngagementSnapshotRow.id).where(
                EngagementSnapshotRow.post_id == row.id, EngagementSnapshotRow.taken_at == update.taken_at
            )
        ).first()
    if exists is not None:
        return 0
    session.add(snapshot_row(row.id, update))  # type: ignore[arg-type]
    if update.taken_at >= row.fetched_at:
        e = update.engagement
        row.likes, row.reposts, row.replies, row.quotes, row.views = (
            e.likes,
            e.reposts,
            e.replies,
            e.quotes,
            e.views,
        )
        row.fetched_at = update.taken_at
        if update.author_reach is not None:
            row.author_reach = update.author_reach
        row.is_deleted = row.is_deleted or update.is_deleted
    if row.stage == STAGE_ROUTED:
        row.review_due = True  # the router re-assesses it on its newest engagement
    session.add(row)
    return 1


def save_posts(
    session: Session, posts: Sequence[Post], stage_for: Callable[[Post], str] | None, now: datetime
) -> tuple[int, int, int]:
    """Insert new posts (and their first snapshot), snapshot known ones; returns (new, seen again, snapshots)."""
    known = known_rows(session, [p.key for p in posts])
    fresh: dict[tuple[str, str], Post] = {}  # new posts, first copy of each
    for post in posts:
        if post.key not in known:
            fresh.setdefault(post.key, post)
    if fresh:  # Core, one executemany each: an ORM row per post cost more than storing it
        table = PostRow.__table__  # type: ignore[attr-defined]
        values = [post_values(p, stage_for(p) if stage_for else STAGE_INGESTED, now) for p in fresh.values()]
        stored = session.execute(insert(table).returning(table.c.id, table.c.source, table.c.native_id), values)
        ids = {(source, native_id): post_id for post_id, source, native_id in stored}
        first = [snapshot_values(ids[key], update_from_post(post)) for key, post in fresh.items()]
        session.execute(insert(EngagementSnapshotRow.__table__), first)  # type: ignore[attr-defined]
    again = [post for post in posts if fresh.get(post.key) is not post]  # known, or a later copy of a new one
    if any(post.key in fresh for post in again):
        known |= known_rows(session, [post.key for post in again if post.key in fresh])
    snapshots = len(fresh)
    for post in again:
        snapshots += add_snapshot(session, known[post.key], update_from_post(post))
    return len(fresh), len(posts) - len(fresh), snapshots


def add_dead_letters(session: Session, letters: Sequence[DeadLetter], now: datetime) -> None:
    for letter in letters:
        session.add(
            DeadLetterRow(
                source=letter.source,
                native_id=letter.native_id,
                reason=letter.reason,
                payload=letter.payload,
                created_at=now,
            )
        )


def save_cursor(session: Session, source: str, cursor: dict[str, Any] | None, now: datetime) -> None:
    if cursor is not None:
        session.merge(SourceCursorRow(source=source, cursor=cursor, updated_at=now))


def refused_letter(post: Post, err: BaseException) -> DeadLetter:
    """The dead letter of a post the database refused."""
    cause = err.__cause__ if isinstance(err, StoreError) and err.__cause__ else err
    reason = f"refused by the database: {type(cause).__name__}: {str(cause).strip().splitlines()[0][:300]}"
    return DeadLetter(source=post.source, native_id=post.native_id, reason=reason, payload=payload_text(post.raw))


def dead_letter_summary(session: Session) -> dict[str, tuple[int, str | None]]:
    """Per source: how many dead letters, and the newest one's reason."""
    counts = dict(session.exec(select(DeadLetterRow.source, func.count()).group_by(DeadLetterRow.source)).all())
    summary: dict[str, tuple[int, str | None]] = {}
    for source, count in counts.items():
        last = session.exec(
            select(DeadLetterRow.reason).where(DeadLetterRow.source == source).order_by(DeadLetterRow.id.desc())  # type: ignore[union-attr]
        ).first()
        summary[source] = (int(count), last)
    return summary
