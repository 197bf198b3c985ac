"""The store's operations. Each public method is one transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from bot.core.clock import utcnow
from bot.core.errors import DatabaseUnavailable, StoreError
from bot.core.labels import Labels
from bot.core.posts import DeadLetter, EngagementUpdate, Post
from bot.store import intake, locks, migrate
from bot.store.convert import (
    labels_from_row,
    post_from_row,
)
from bot.store.engine import check_url, first_line, make_engine, masked
from bot.store.records import SnapshotRecord, SourceState, StoredPost
from bot.store.tables import (
    ClassificationRow,
    EngagementSnapshotRow,
    PostRow,
    SourceCursorRow,
)
from bot.store.transaction import Transaction


@dataclass(frozen=True, kw_only=True)
class SaveResult:
    """What one save_batch did."""

    new: int
    seen_again: int
    snapshots: int


class Store:
    """All reads and writes of Earshot's state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._daemon_lock: IO[str] | None = None

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        """Connect, and bring the schema up to date; StoreError if the database is unreachable."""
        check_url(url)
        try:
            engine = make_engine(url)
        except (SQLAlchemyError, ImportError, OSError) as err:
            raise StoreError(f"cannot open the database at {masked(url)!r}: {first_line(err)}") from err
        try:
            if migrate_schema:
                migrate.upgrade(engine)
            else:
                with engine.connect():
                    pass
        except OperationalError as err:
            raise StoreError(f"cannot reach the database at {engine.url!r}: {first_line(err)}") from err
        except SQLAlchemyError as err:
            raise StoreError(f"cannot prepare the database at {engine.url!r}: {first_line(err)}") from err
        return cls(engine)

    @contextmanager
    def transaction(self, *, now: datetime | None = None) -> Iterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.session() as session:
            yield Transaction(session, now=now)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error; a database failure is a StoreError."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except DBAPIError as err:
            if intake.unavailable(err):
                raise DatabaseUnavailable(f"the database failed: {first_line(err)}") from err
            raise StoreError(f"the database failed: {first_line(err)}") from err

    # --- between processes ----------------------------------------------------------------

    def hold_daemon_lock(self) -> None:
        """StoreError if another daemon runs on this SQLite file; held until this process ends."""
        self._daemon_lock = locks.hold_daemon_lock(self.engine)

    def exclusive(self, name: str) -> AbstractContextManager[bool]:
        """A block that holds the advisory lock `name` if no other process does (see locks.exclusive)."""
        return locks.exclusive(self.engine, name)

    def listen(self, channels: Collection[str], on_notify: Callable[[str], Any], stop: threading.Event) -> None:
        """Wake-ups from other processes (PostgreSQL LISTEN), until `stop`; see locks.listen."""
        locks.listen(self.engine, channels, on_notify, stop)

    def notify(self, channel: str) -> None:
        """Wake the processes listening on `channel` (PostgreSQL NOTIFY; nothing on SQLite). The caller
        decides whom to wake (bot/app/chain.py): the store only carries the message."""
        locks.notify(self.engine, channel)

    # --- intake -------------------------------------------------------------------------

    def save_batch(
        self,
        source: str,
        posts: Sequence[Post],
        next_cursor: dict[str, Any] | None,
        *,
        skipped: int = 0,
        dead: Sequence[DeadLetter] = (),
        stage_for: Callable[[Post], str] | None = None,
    ) -> SaveResult:
        """Store posts (new ones inserted, known ones snapshotted), dead letters, then the cursor, atomically.

        `stage_for(post) -> str` picks a new post's first stage; default `ingested`. A post the
        database refuses is dead-lettered and the rest stored one by one (see bot.store.intake).
        """
        try:
            return self._save_batch(source, posts, next_cursor, skipped, dead, stage_for, one_by_one=False)
        except intake.PostRefused:
            pass
        return self._save_batch(source, posts, next_cursor, skipped, dead, stage_for, one_by_one=True)

    def _save_batch(
        self,
        source: str,
        posts: Sequence[Post],
        next_cursor: dict[str, Any] | None,
        skipped: int,
        dead: Sequence[DeadLetter],
        stage_for: Callable[[Post], str] | None,
        *,
        one_by_one: bool,
    ) -> SaveResult:
        """One transaction for everything; or, `one_by_one`, one per post then one for the rest."""
        now = utcnow()
        new = seen_again = snapshots = 0
        letters = list(dead)
        if one_by_one:
            for post in posts:
                try:
                    with self.session() as session:
                        added, seen, snaps = intake.save_posts(session, [post], stage_for, now)
                except (StoreError, *intake.REFUSED) as err:
                    if not intake.refused_record(err):
                        raise
                    letters.append(intake.refused_letter(post, err))
                    continue
                new, seen_again, snapshots = new + added, seen_again + seen, snapshots + snaps
        with self.session() as session:
            if not one_by_one:
                try:
                    new, seen_again, snapshots = intake.save_posts(session, posts, stage_for, now)
                except intake.REFUSED as err:
                    if intake.refused_record(err):
                        raise intake.PostRefused from err
                    raise
            intake.add_dead_letters(session, letters, now)
            intake.save_cursor(session, source, next_cursor, now)
            Transaction(session, now=now).sources.count_intake(source, new, skipped + len(letters) - len(dead))
        return SaveResult(new=new, seen_again=seen_again, snapshots=snapshots)

    def save_engagement(self, updates: Sequence[EngagementUpdate]) -> int:
        """Store re-polled metrics of known posts; returns how many snapshots were added."""
        added = 0
        with self.session() as session:
            known = intake.known_rows(session, [(u.source, u.native_id) for u in updates])
            for update in updates:
                row = known.get((update.source, update.native_id))
                if row is not None:
                    added += intake.add_snapshot(session, row, update)
        return added

    def load_cursor(self, source: str) -> dict[str, Any] | None:
        with self.session() as session:
            row = session.get(SourceCursorRow, source)
            return dict(row.cursor) if row else None

    # --- stages -------------------------------------------------------------------------

    def pending(self, stage: str, limit: int) -> list[StoredPost]:
        """Up to `limit` posts waiting at `stage`, oldest first."""
        with self.session() as session:
            rows = session.exec(
                select(PostRow).where(PostRow.stage == stage).order_by(col(PostRow.id)).limit(limit)
            ).all()
            return [StoredPost(id=row.id, post=post_from_row(row)) for row in rows]  # type: ignore[arg-type]

    def save_labels(self, labelled: Sequence[tuple[int, Labels]], *, skip: Sequence[int] = ()) -> None:
        """Store labels and move their posts on, in one transaction (idempotent).

        Posts go to `classified`, or to `skipped` when their id is in `skip`.
        """
        with self.transaction() as tx:
            tx.labels.save(labelled, skip=skip)

    def set_stage(self, post_ids: Sequence[int], stage: str) -> None:
        with self.transaction() as tx:
            tx.posts.move(dict.fromkeys(post_ids, stage))

    # --- reads --------------------------------------------------------------------------

    def post(self, post_id: int) -> StoredPost | None:
        with self.session() as session:
            row = session.get(PostRow, post_id)
            return StoredPost(id=row.id, post=post_from_row(row)) if row else None  # type: ignore[arg-type]

    def find_post(self, source: str, native_id: str) -> StoredPost | None:
        with self.session() as session:
            row = intake.known_rows(session, [(source, native_id)]).get((source, native_id))
            return StoredPost(id=row.id, post=post_from_row(row)) if row else None  # type: ignore[arg-type]

    def labels(self, post_id: int) -> Labels | None:
        with self.session() as session:
            row = session.get(ClassificationRow, post_id)
            return labels_from_row(row) if row else None

    def snapshots(self, post_id: int) -> list[SnapshotRecord]:
        """The post's engagement snapshots, oldest first."""
        with self.session() as session:
            rows = session.exec(
                select(EngagementSnapshotRow)
                .where(EngagementSnapshotRow.post_id == post_id)
                .order_by(col(EngagementSnapshotRow.taken_at))
            ).all()
            return [
                SnapshotRecord(**{name: getattr(row, name) for name in SnapshotRecord.__dataclass_fields__})
                for row in rows
            ]

    def posts_to_watch(self, source: str, since: datetime, limit: int) -> list[StoredPost]:
        """Complaints from `source` created after `since`, newest first: their engagement is re-polled."""
        with self.session() as session:
            rows = session.exec(
                select(PostRow)
                .join(ClassificationRow, col(ClassificationRow.post_id) == PostRow.id)
                .where(
                    PostRow.source == source,
                    PostRow.created_at >= since,
                    col(PostRow.is_deleted).is_(False),
                    col(ClassificationRow.complaint).is_(True),
                )
                .order_by(col(PostRow.created_at).desc())
                .limit(limit)
            ).all()
            return [StoredPost(id=row.id, post=post_from_row(row)) for row in rows]  # type: ignore[arg-type]

    def count_posts(self, stage: str | None = None) -> int:
        with self.session() as session:
            query = select(func.count()).select_from(PostRow)
            if stage is not None:
                query = query.where(PostRow.stage == stage)
            return int(session.exec(query).one())

    # --- sources' health (the row is changed by the store's owner, never handed out) --------

    def source_states(self) -> list[SourceState]:
        with self.transaction() as tx:
            return tx.sources.states()

    def source_state(self, source: str) -> SourceState:
        with self.transaction() as tx:
            return tx.sources.state(source)

    def source_failed(self, source: str, error: str, *, stopped: bool) -> SourceState:
        """A fetch of `source` failed (`stopped`: for good); returns its state before."""
        with self.transaction() as tx:
            return tx.sources.failed(source, error, stopped=stopped)

    def source_succeeded(self, source: str) -> SourceState:
        """A fetch of `source` completed; returns its state before."""
        with self.transaction() as tx:
            return tx.sources.succeeded(source)

    def save_source_state(self, state: SourceState) -> None:
        with self.transaction() as tx:
            tx.sources.save(state)
