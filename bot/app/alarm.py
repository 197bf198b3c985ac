"""The silent-source alarm: a source that went quiet, stalled or keeps failing pages the operators, once.

A source is in trouble when, for longer than configured, it
- yields nothing for `silent_after_gaps` times its usual gap between new posts (its posts in
  the last `window_hours`, spread evenly), and at least `min_silence_minutes` (a live source
  only: a recording that ends, the replay, is expected to fall silent);
- completes no fetch (its cursor is not saved: intake is stuck or not running);
- keeps failing (`failing_minutes`), or its credentials were refused (at once).
The alarm goes to the channels of `alarms.tier` (a tier of `routing.alerts.tiers`), is
recorded in the store (shown by `earshot sources` and `earshot_source_alarm`), and is sent
once; when the source is well again one "recovered" notice follows. A notice a channel
did not take is tried again at the next check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

from pydantic import Field

from bot.core.clock import utcnow
from bot.core.section import Section
from bot.core.stage import Stage
from bot.delivery.channels.base import AlertChannel, Notice
from bot.store import SourceActivity, Store

log = logging.getLogger(__name__)
AT_ONCE = ("SpendCapReached",)  # failures that page at once: a paid source stopped at its spend cap


class AlarmSettings(Section):
    """`alarms:` — when a source counts as silent, stalled or failing, and which tier hears of it."""

    enabled: bool = True
    tier: str = "operator"  # a tier of routing.alerts.tiers; without one the alarm is logged and recorded only
    silent_after_gaps: float = Field(default=6.0, gt=1, le=1000)
    min_silence_minutes: int = Field(default=30, gt=0, le=7 * 24 * 60)
    window_hours: int = Field(default=24, gt=0, le=24 * 30)  # the history the usual gap is learned from
    min_posts: int = Field(default=5, gt=1, le=1_000_000)  # fewer in the window: too little to call it silent
    stalled_minutes: int = Field(default=30, gt=0, le=7 * 24 * 60)
    failing_minutes: int = Field(default=15, gt=0, le=7 * 24 * 60)
    check_interval_seconds: int = Field(default=60, gt=0, le=3600)


def trouble(
    activity: SourceActivity,
    settings: AlarmSettings,
    now: datetime,
    started: datetime,
    interval_seconds: int = 0,
    *,
    live: bool = True,
) -> str | None:
    """Why `activity` should raise the alarm, or None when the source looks well.

    Times before `started` (the daemon's start) count from it: a restart after downtime starts afresh.
    A source that is not `live` (a recording that ends) is never called silent, only stalled or failing.
    """
    if activity.status == "stopped":
        return f"stopped: {activity.last_error or 'credentials refused'}"
    if activity.status == "failing" and (activity.last_error or "").startswith(AT_ONCE):
        return activity.last_error
    failing_for = now - activity.failing_since if activity.failing_since else timedelta(0)
    if activity.status == "failing" and failing_for >= timedelta(minutes=settings.failing_minutes):
        return f"failing for {_minutes(failing_for)}: {activity.last_error or 'unknown error'}"
    moved = max(activity.cursor_moved_at or started, started)
    if now - moved >= max(timedelta(minutes=settings.stalled_minutes), timedelta(seconds=3 * interval_seconds)):
        return f"stalled: no fetch completed for {_minutes(now - moved)}"
    if live and activity.posts_in_window >= settings.min_posts:
        gap = timedelta(hours=settings.window_hours) / activity.posts_in_window
        allowed = max(gap * settings.silent_after_gaps, timedelta(minutes=settings.min_silence_minutes))
        quiet_since = max(activity.last_new_at or started, started)
        if now - quiet_since >= allowed:
            return (
                f"silent: nothing new for {_minutes(now - quiet_since)} "
                f"(usually one every {_minutes(gap)}; alarm after {_minutes(allowed)})"
            )
    return None


class SourceAlarm(Stage):
    """A stage the daemon runs every `check_interval_seconds`: raises and clears source alarms."""

    name = "alarm"

    def __init__(
        self,
        store: Store,
        settings: AlarmSettings,
        *,
        sources: Mapping[str, int],
        channels: Mapping[str, AlertChannel],
        recordings: Collection[str] = (),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.settings, self.sources = store, settings, dict(sources)  # name -> poll interval
        self.recordings = frozenset(recordings)  # sources that end, so silence after them is expected
        self.channels, self.clock = dict(channels), clock
        self.interval_seconds = settings.check_interval_seconds
        self.started = clock()
        self._unsent: dict[str, Notice] = {}  # per channel id: the latest notice not yet taken

    def run_once(self) -> int:
        """Check every source; returns how many alarms were raised or cleared."""
        self._resend()
        changed = 0
        now = self.clock()
        window = timedelta(hours=self.settings.window_hours)
        for source in self.sources:
            with self.store.transaction(now=now) as tx:
                activity = tx.sources.activity(source, window=window)
                reason = trouble(
                    activity, self.settings, now, self.started, self.sources[source], live=source not in self.recordings
                )
                if (reason is None) == (activity.alarm_since is None):
                    continue
                tx.sources.set_alarm(source, reason)
            changed += 1
            self._announce(source, reason, activity, now)
        return changed

    def _announce(self, source: str, reason: str | None, activity: SourceActivity, now: datetime) -> None:
        if reason is not None:
            log.error("source %s alarm: %s", source, reason, extra={"source": source})
            notice = Notice(
                title=f"Earshot: source {source} needs attention",
                body=f"Source {source} is in trouble: {reason}. See `earshot sources`.",
                severity="failure",
                idempotency_key=f"earshot-alarm-{source}-{now.isoformat()}",
            )
        else:
            down = now - activity.alarm_since if activity.alarm_since else timedelta(0)
            log.warning("source %s recovered after %s", source, _minutes(down), extra={"source": source})
            notice = Notice(
                title=f"Earshot: source {source} recovered",
                body=f"Source {source} recovered after {_minutes(down)} (was: {activity.alarm_reason}).",
                severity="info",
                idempotency_key=f"earshot-alarm-{source}-recovered-{now.isoformat()}",
            )
        for channel_id in self.channels:
            self._unsent[f"{source}|{channel_id}"] = notice
        self._resend()

    def _resend(self) -> None:
        for key, notice in list(self._unsent.items()):
            channel = self.channels[key.split("|", 1)[1]]
            try:
                result = channel.send(notice)
            except Exception as err:  # noqa: BLE001 - a misbehaving channel must not stop the alarm
                result = None
                log.warning("alarm channel %s raised %s", channel.channel_id, type(err).__name__)
            if result is not None and result.ok:
                del self._unsent[key]
            elif result is not None:
                log.warning("alarm not delivered to %s: %s", channel.channel_id, result.error)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
