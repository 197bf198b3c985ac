"""What the silent-source alarm and `earshot sources` read of a source's activity, and the alarm's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import func, select

from bot.store.intake import dead_letter_summary
from bot.store.ops.base import Ops
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


class HealthOps(Ops):
    """Reads of source activity; writes of the silent-source alarm (source_state's alarm columns)."""

    def source_activity(self, source: str, *, window: timedelta) -> SourceActivity:
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
        state = self.session.get(SourceStateRow, source) or SourceStateRow(source=source)
        state.alarm_since = (state.alarm_since or self.now) if reason else None
        state.alarm_reason = reason
        self.session.add(state)

    def dead_letters(self) -> dict[str, DeadLetters]:
        """Per source: skipped records kept, and the newest one's reason."""
        return {
            source: DeadLetters(count=count, last_reason=reason)
            for source, (count, reason) in dead_letter_summary(self.session).items()
        }
