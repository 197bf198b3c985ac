"""`digest:` — who gets the executive digest, over which SMTP server, and on which schedules."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bot.core.section import Section

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class SmtpSettings(Section):
    """`digest.smtp:` — the mail server; the password comes from the environment (`password_env`)."""

    host: str = "localhost"
    port: int = Field(default=587, gt=0, lt=65536)
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None  # none (or empty): no login
    password_env: str = "EARSHOT_SMTP_PASSWORD"
    timeout_seconds: float = Field(default=30.0, gt=0)


class ScheduleSettings(Section):
    """One schedule: `every: day` at `at`, or `every: week` on `day` at `at`, in `timezone`."""

    name: str = Field(min_length=1, max_length=64)
    every: Literal["day", "week"] = "day"
    at: str = "07:00"  # local wall-clock time, HH:MM
    day: str = "monday"  # for every: week
    timezone: str = "UTC"
    since_hours: float | None = Field(default=None, gt=0)  # the period covered; default: since the previous run

    @field_validator("at")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"'{value}' is not a time of day HH:MM")
        return value

    @field_validator("day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value.lower() not in WEEKDAYS:
            raise ValueError(f"'{value}' is not a weekday ({', '.join(WEEKDAYS)})")
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone '{value}'") from err
        return value


class DigestSettings(Section):
    """`digest:` — recipients, SMTP, schedules run by the daemon, and the short form's alert tiers."""

    recipients: list[str] = Field(default_factory=list)
    sender: str = "earshot@localhost"
    smtp: SmtpSettings = SmtpSettings()
    schedules: list[ScheduleSettings] = Field(default_factory=list)
    alert_tiers: list[str] = Field(default_factory=list)  # tiers whose channels get the short form
    redact: bool = True  # mask e-mails, phones, cards, IBANs, order numbers and VINs in the digest
    top: int = Field(default=5, gt=0, le=20)  # incidents and viral complaints listed
    timezone: str = "UTC"  # how times read in a digest made with `earshot digest`
    check_interval_seconds: int = Field(default=60, gt=0)  # how often the daemon looks for a due digest

    @field_validator("recipients", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address:
                raise ValueError(f"'{address}' is not an e-mail address")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return ScheduleSettings._zone(value)

    @model_validator(mode="after")
    def _unique_schedules(self) -> DigestSettings:
        names = [s.name for s in self.schedules]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"schedules: '{name}' is named twice")
        return self
