"""The one retry policy: bounded attempts, jittered exponential backoff, retryable HTTP statuses.

Connectors retry within one fetch (`connectors.*.retry`), the outbox across ticks
(`routing.tickets.retry`, `routing.alerts.retry`); both read the same `RetrySettings`.
"""

from __future__ import annotations

import random

from pydantic import AliasChoices, Field

from bot.core.section import Section

# Besides every 5xx: request timeout, conflict, too early, too many requests.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


def retryable_status(status: int) -> bool:
    """Whether a failed HTTP status is worth retrying (5xx, 408, 409, 425, 429)."""
    return status >= 500 or status in RETRYABLE_STATUSES


class RetrySettings(Section):
    """`...retry:` — how many tries, and how long to wait between them.

    `attempts` and `max_backoff_seconds` are accepted as spellings of `max_attempts` and
    `backoff_max_seconds` (the connectors' sections use them).
    """

    max_attempts: int = Field(default=8, gt=0, le=100, validation_alias=AliasChoices("max_attempts", "attempts"))
    backoff_seconds: float = Field(default=30.0, ge=0, le=86_400)  # the first wait; doubles each try
    backoff_max_seconds: float = Field(
        default=3600.0, ge=0, le=7 * 86_400, validation_alias=AliasChoices("backoff_max_seconds", "max_backoff_seconds")
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=3600)  # per remote call

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed try `attempt` (0-based): base * 2**attempt, capped, times 0.5..1 with `rng`."""
        raw = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** min(attempt, 60))
        return raw * (0.5 + rng.random() / 2) if rng is not None else raw
