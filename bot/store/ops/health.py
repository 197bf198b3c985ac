"""Sources (`tx.sources`): each source's health and the silent-source alarm; the source_state rows' one writer.

Callers get `SourceState` records and say what happened (`failed`, `succeeded`, `count_intake`, `set_alarm`);
the row is changed here, never handed out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlmodel import col, func, select

from bot.store.intake import dead_letter_summary
from bot.store.ops.base import Owner
from bot.store.records import SourceState
from bot.store.tables import PostRow, SourceCursorRow, SourceStateRow


@dataclass(frozen=True, kw_only=True)
class SourceActivity:
    """When a source last yielded, last completed a fetch, how it fares, and its alarm."""

    source: str
    status: str  # ok | failing | stopped | never run
    last_new_at: datetime | None
    cursor_moved_at: datetime | None  # the last fetch that completed (its cursor was saved)
    failing_since: datetime | None
    last_error: str | None
    posts_in_window: int  # new posts stored in the look-back window
    alarm_since: datetime | None
    alarm_reason: str | None


@dataclass(frozen=True, kw_only=True)
class DeadLetters:
    count: int
    last_reason: str | None


class Sources(Owner):
    """Reads of source activity; writes of each source's state: its health, its intake counts, its alarm."""

    def state(self, source: str) -> SourceState:
        """The source's state (a fresh one, status ok, for a source that never ran)."""
        return state_of(self.session.get(SourceStateRow, source) or SourceStateRow(source=source))

    def states(self) -> list[SourceState]:
        """Every source that has run, by name."""
        rows = self.session.exec(select(SourceStateRow).order_by(col(SourceStateRow.source))).all()
        return [state_of(row) for row in rows]

    def failed(self, source: str, error: str, *, stopped: bool) -> SourceState:
        """A fetch failed with `error`: the source is failing (or, `stopped`, stopped for good); its state before."""
        row = self._row(source)
        before = state_of(row)
        row.status = "stopped" if stopped else "failing"
        row.failing_since = row.failing_since or self.now
        row.last_error, row.last_error_at = error, self.now
        self.session.add(row)
        return before

    def succeeded(self, source: str) -> SourceState:
        """A fetch completed: the source is ok; its state before."""
        row = self._row(source)
        before = state_of(row)
        row.status, row.failing_since, row.last_success_at = "ok", None, self.now
        self.session.add(row)
        return before

    def save(self, state: SourceState) -> None:
        """Store `state` as the source's whole state (a test, or a tool setting one up)."""
        self.session.merge(SourceStateRow(**asdict(state)))

    def count_intake(self, source: str, new: int, skipped: int) -> None:
        """A batch stored `new` posts and skipped `skipped` records (counted per UTC day and in all)."""
        row = self._row(source)
        today = self.now.date().isoformat()
        if row.day != today:
            row.day, row.posts_today = today, 0
        row.posts_today += new
        row.posts_total += new
        row.skipped_total += skipped
        if new:
            row.last_new_at = self.now
        self.session.add(row)

    def activity(self, source: str, *, window: timedelta) -> SourceActivity:
        state = self.session.get(SourceStateRow, source)
        cursor = self.session.get(SourceCursorRow, source)
        since = self.now - window
        count = self.session.exec(
            select(func.count()).select_from(PostRow).where(PostRow.source == source, PostRow.fetched_at >= since)
        ).one()
        last_new = state.last_new_at if state else None
        if last_new is None:
            last_new = self.session.exec(select(func.max(PostRow.fetched_at)).where(PostRow.source == source)).one()
        return SourceActivity(
            source=source,
            status=state.status if state else "never run",
            last_new_at=last_new,
            cursor_moved_at=cursor.updated_at if cursor else None,
            failing_since=state.failing_since if state else None,
            last_error=state.last_error if state else None,
            posts_in_window=int(count),
            alarm_since=state.alarm_since if state else None,
            alarm_reason=state.alarm_reason if state else None,
        )

    def set_alarm(self, source: str, reason: str | None) -> None:
        """Raise (a reason) or clear (None) the silent-source alarm of `source`."""
        state = self._row(source)
        state.alarm_since = (state.alarm_since or self.now) if reason else None
        state.alarm_reason = reason
        self.session.add(state)

    def dead_letters(self) -> dict[str, DeadLetters]:
        """Per source: skipped records kept, and the newest one's reason."""
        return {
            source: DeadLetters(count=count, last_reason=reason)
            for source, (count, reason) in dead_letter_summary(self.session).items()
        }

    def _row(self, source: str) -> SourceStateRow:
        return self.session.get(SourceStateRow, source) or SourceStateRow(source=source)


def state_of(row: SourceStateRow) -> SourceState:
    return SourceState(**{name: getattr(row, name) for name in SourceState.__dataclass_fields__})
