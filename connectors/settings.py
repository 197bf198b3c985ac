"""Config pieces every source shares; a source's own section is in its folder (`connectors/<name>/settings.py`)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from bot.core.retry import RetrySettings
from bot.core.section import Section


class BudgetSettings(Section):
    """A request budget per rolling window, matching the API access tier."""

    requests: int = Field(gt=0)
    window_seconds: int = Field(gt=0)


class SourceRetrySettings(RetrySettings):
    """`connectors.*.retry:` — how a connector rides out 429s, 5xx and network errors within one fetch."""

    max_attempts: int = Field(default=5, gt=0, le=20, validation_alias=AliasChoices("max_attempts", "attempts"))
    backoff_seconds: float = Field(default=1.0, ge=0)  # first backoff; doubles, with jitter
    backoff_max_seconds: float = Field(
        default=30.0, ge=0, validation_alias=AliasChoices("backoff_max_seconds", "max_backoff_seconds")
    )
    max_rate_limit_wait_seconds: float = Field(default=60.0, ge=0)  # longer waits pause the source
    timeout_seconds: float = Field(default=20.0, gt=0, le=3600)  # per HTTP request


def text_list(value: object) -> object:
    """YAML reads `[783214]` as numbers: account ids and queries are text."""
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


def http_url(value: str) -> str:
    """An http(s) base URL without its trailing slash."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


class SourceSettings(Section):
    """What every source's section has: whether it runs, and how often it is polled."""

    enabled: bool = False
    interval_seconds: int = Field(default=60, gt=0, le=86_400)


class EngagementSettings(Section):
    """Re-polling metrics of complaints still worth watching."""

    enabled: bool = True
    max_age_hours: float = Field(default=48.0, gt=0)
    max_posts: int = Field(default=500, gt=0)  # per source per re-poll
    interval_seconds: int = Field(default=300, gt=0)
