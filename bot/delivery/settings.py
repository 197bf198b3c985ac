"""Config for ticket sinks and alert channels (`routing.tickets`, `routing.alerts`).

A ticket sink is one plugin file in `bot/delivery/sinks/` whose module defines `Settings` and
`Sink`; `routing.tickets.sinks.<name>` picks it by `plugin:` (default: the entry's name) and is
validated against that module's `Settings` (found by name, see `bot.delivery.sinks.plugin`), so
a typo names its YAML path at start-up. Alert channels are URLs listed per tier, each handled by
the channel module that claims its scheme (`stub://NAME` is the in-memory stub, apprise the rest).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from bot.core.retry import RetrySettings
from bot.core.section import Section
from bot.delivery.sinks import plugin_settings
from bot.delivery.sinks.base import SinkSettings


class DueTimes(Section):
    """`routing.tickets.due.<priority>:` — when a ticket of this priority needs a first reply and a fix."""

    first_response_minutes: int = Field(gt=0)
    resolution_hours: int = Field(gt=0)


def _default_due() -> dict[str, DueTimes]:
    return {
        "urgent": DueTimes(first_response_minutes=15, resolution_hours=4),
        "high": DueTimes(first_response_minutes=60, resolution_hours=24),
        "normal": DueTimes(first_response_minutes=240, resolution_hours=72),
        "low": DueTimes(first_response_minutes=1440, resolution_hours=168),
    }


class TicketSettings(Section):
    """`routing.tickets:` — the built-in queue's due times and the external ticket sinks."""

    due: dict[str, DueTimes] = Field(default_factory=_default_due)
    sinks: dict[str, SinkSettings] = Field(default_factory=dict)
    retry: RetrySettings = RetrySettings()

    @field_validator("due")
    @classmethod
    def _every_priority(cls, due: dict[str, DueTimes]) -> dict[str, DueTimes]:
        missing = [p for p in ("low", "normal", "high", "urgent") if p not in due]
        if missing:
            raise ValueError(f"due: missing priorities {missing}")
        return due

    @field_validator("sinks", mode="before")
    @classmethod
    def _plugin_settings(cls, sinks: Any) -> Any:
        """Validate each sink entry against its plugin module's `Settings`."""
        if not isinstance(sinks, dict):
            return sinks
        parsed: dict[str, Any] = {}
        for name, entry in sinks.items():
            if isinstance(entry, SinkSettings):
                parsed[name] = entry
                continue
            entry = dict(entry or {})
            plugin = entry.get("plugin") or name
            settings_class = plugin_settings(plugin, f"sinks.{name}")
            try:
                parsed[name] = settings_class.model_validate({**entry, "plugin": plugin})
            except ValidationError as err:
                first = err.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                raise ValueError(f"sinks.{name}.{where}: {first['msg']}") from None
        return parsed

    def enabled_sinks(self) -> dict[str, SinkSettings]:
        """The external sinks that are switched on, by name."""
        return {name: sink for name, sink in self.sinks.items() if sink.enabled}


class QuietHours(Section):
    """`...quiet_hours:` — a daily window in which a tier's alerts wait (deferred, never dropped)."""

    start: time
    end: time
    timezone: str = "UTC"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 22:00 as the number 1320
            raise ValueError('write the time in quotes, e.g. "22:00"')
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    def end_of_quiet(self, now: datetime) -> datetime:
        """`now` if outside the window, else the (aware, UTC) moment the window ends."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        clock = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return now
        overnight = self.start > self.end
        inside = (clock >= self.start or clock < self.end) if overnight else (self.start <= clock < self.end)
        if not inside:
            return now
        end_day = local.date() + timedelta(days=1) if overnight and clock >= self.start else local.date()
        return datetime.combine(end_day, self.end, tzinfo=zone).astimezone(UTC)


class TierSettings(Section):
    """`routing.alerts.tiers.<name>:` — who a tier pages, and where it escalates when nobody acks."""

    urls: list[str] = Field(default_factory=list)  # channel URLs (apprise and others); secrets via ${ENV}
    escalate_after_minutes: int | None = Field(default=None, gt=0)
    next: str | None = None  # the tier to escalate to
    quiet_hours: QuietHours | None = None
    # False: a responder's public reply never acknowledges this tier's alerts (as for the safety override's)
    public_reply_acknowledges: bool = True

    def not_before(self, now: datetime) -> datetime:
        """When an alert raised at `now` may go out: `now`, or the end of the quiet hours it falls in."""
        return self.quiet_hours.end_of_quiet(now) if self.quiet_hours else now

    def escalation_due(self, now: datetime) -> datetime | None:
        """When an alert raised at `now` to this tier escalates if nobody acks; None if it never does."""
        if self.next is None or self.escalate_after_minutes is None:
            return None
        return self.not_before(now) + timedelta(minutes=self.escalate_after_minutes)


def _default_tiers() -> dict[str, TierSettings]:
    return {
        "support": TierSettings(
            escalate_after_minutes=120, next="on-call", quiet_hours=QuietHours(start=time(22), end=time(7))
        ),
        "on-call": TierSettings(escalate_after_minutes=15, next="executive"),
        "executive": TierSettings(escalate_after_minutes=30, next="leadership"),
        "leadership": TierSettings(),
    }


class AlertSettings(Section):
    """`routing.alerts:` — responder tiers, their channel URLs, escalation, quiet hours, caps."""

    tiers: dict[str, TierSettings] = Field(default_factory=_default_tiers)
    cap_per_hour: int = Field(default=20, gt=0)  # per channel; the rest become one summary
    redact: bool = True  # mask emails, phone, order and vehicle numbers in alert text
    # a responder's public reply acks the post's open alerts, except the safety override's and those of a
    # tier with `public_reply_acknowledges: false` (the reply is shown on them instead)
    public_reply_acknowledges: bool = True
    retry: RetrySettings = RetrySettings(max_attempts=10, backoff_seconds=10.0, backoff_max_seconds=600.0)

    @model_validator(mode="after")
    def _tiers_form_chains(self) -> AlertSettings:
        for name, tier in self.tiers.items():
            if tier.next is not None and tier.next not in self.tiers:
                raise ValueError(f"tiers.{name}.next: no tier named '{tier.next}'")
            seen, current = {name}, tier.next
            while current is not None:
                if current in seen:
                    raise ValueError(f"tiers.{name}.next: escalation loops back to '{current}'")
                seen.add(current)
                current = self.tiers[current].next
        return self
