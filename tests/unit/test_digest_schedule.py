"""When a scheduled digest is due, in its own time zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.digest import ScheduleSettings, latest_period
from bot.digest.schedule import occurrence

DAILY = ScheduleSettings(name="daily", every="day", at="07:00", timezone="Europe/Paris")
WEEKLY = ScheduleSettings(name="weekly", every="week", day="monday", at="08:00", timezone="America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_daily_at_seven_in_paris_is_six_utc_in_winter_and_five_in_summer() -> None:
    assert latest_period(DAILY, utc(2026, 1, 15, 6, 30)).end == utc(2026, 1, 15, 6, 0)
    assert latest_period(DAILY, utc(2026, 7, 15, 5, 30)).end == utc(2026, 7, 15, 5, 0)


def test_before_seven_the_due_digest_is_yesterdays() -> None:
    period = latest_period(DAILY, utc(2026, 1, 15, 5, 59))
    assert (period.start, period.end) == (utc(2026, 1, 13, 6, 0), utc(2026, 1, 14, 6, 0))


@pytest.mark.parametrize(
    ("now", "hours"),
    [(utc(2026, 3, 29, 8, 0), 23), (utc(2026, 10, 25, 8, 0), 25), (utc(2026, 6, 1, 8, 0), 24)],
    ids=["spring-forward", "fall-back", "summer"],
)
def test_a_day_across_a_clock_change_is_23_or_25_hours(now: datetime, hours: int) -> None:
    period = latest_period(DAILY, now)
    assert period.end - period.start == timedelta(hours=hours)


def test_a_time_that_does_not_exist_runs_an_hour_later_and_a_repeated_one_runs_once() -> None:
    at_half_two = DAILY.model_copy(update={"at": "02:30"})
    assert occurrence(at_half_two, datetime(2026, 3, 29).date()) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert occurrence(at_half_two, datetime(2026, 10, 25).date()) == utc(2026, 10, 25, 0, 30)  # the first 02:30
    assert latest_period(at_half_two, utc(2026, 10, 25, 1, 45)).end == utc(2026, 10, 25, 0, 30)


def test_weekly_on_monday_at_eight_in_new_york_covers_the_week_before() -> None:
    period = latest_period(WEEKLY, utc(2026, 11, 4, 15, 0))  # a Wednesday
    assert (period.start, period.end) == (utc(2026, 10, 26, 12, 0), utc(2026, 11, 2, 13, 0))  # EDT, then EST


def test_since_hours_fixes_the_period_length() -> None:
    period = latest_period(DAILY.model_copy(update={"since_hours": 12}), utc(2026, 1, 15, 6, 30))
    assert period.end - period.start == timedelta(hours=12)


def test_a_schedule_with_a_bad_time_or_zone_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        ScheduleSettings(name="x", at="7am")
    with pytest.raises(ValueError, match="unknown time zone"):
        ScheduleSettings(name="x", timezone="Mars/Olympus")
