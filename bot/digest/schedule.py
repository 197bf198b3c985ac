"""When a scheduled digest is due: the latest local wall-clock occurrence, in the schedule's time zone.

Daily at 07:00 Europe/Paris is 06:00 UTC in winter and 05:00 UTC in summer; a period across a
DST change is 23 or 25 hours long. A time that does not exist that day (02:30 when clocks
spring forward) runs at the same wall-clock offset as before the change (03:30 new time); a
time that happens twice (when clocks fall back) runs once, the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest.settings import WEEKDAYS, ScheduleSettings


@dataclass(frozen=True, kw_only=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime


def occurrence(schedule: ScheduleSettings, day: date) -> datetime:
    """The schedule's moment on local date `day`, in UTC."""
    hour, minute = (int(part) for part in schedule.at.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(schedule.timezone))  # fold=0
    return local.astimezone(UTC)


def latest_period(schedule: ScheduleSettings, now: datetime) -> Period:
    """The period whose digest is due at `now`: it ends at the latest occurrence at or before `now`."""
    zone = ZoneInfo(schedule.timezone)
    day = now.astimezone(zone).date() + timedelta(days=1)
    step = timedelta(days=7 if schedule.every == "week" else 1)
    while True:
        if _runs_on(schedule, day) and occurrence(schedule, day) <= now:
            break
        day -= timedelta(days=1)
    end = occurrence(schedule, day)
    if schedule.since_hours is not None:
        return Period(start=end - timedelta(hours=schedule.since_hours), end=end)
    return Period(start=occurrence(schedule, day - step), end=end)


def _runs_on(schedule: ScheduleSettings, day: date) -> bool:
    return schedule.every == "day" or WEEKDAYS[day.weekday()] == schedule.day
