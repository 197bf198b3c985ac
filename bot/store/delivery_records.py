"""Typed, read-only views of delivery rows, as the store's delivery operations return them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.actions import PublicReply
from bot.core.payloads import OutboxPayload, SummarySend

SUMMARY_PREFIX = "summary:"  # idempotency keys of the rows standing in for capped alerts


@dataclass(frozen=True, kw_only=True)
class OutboxItem:
    """One outbox row: a send to one sink or channel, and where it stands."""

    id: int
    kind: str  # ticket | alert
    ref_id: int  # ticket.id or alert.id
    target: str  # sink name or channel id
    payload: OutboxPayload
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    external_ref: str | None = None

    @property
    def is_summary(self) -> bool:
        """Whether this row is the one summary of a channel's capped alerts."""
        return self.idempotency_key.startswith(SUMMARY_PREFIX)

    @property
    def alert_ids(self) -> tuple[int, ...]:
        """The alerts this row speaks for: a summary's, else the one it refers to."""
        if isinstance(self.payload, SummarySend) and self.payload.alert_ids:
            return self.payload.alert_ids
        return (self.ref_id,)


@dataclass(frozen=True, kw_only=True)
class AlertState:
    """An alert in the feed: its message, the tier it reached, who acknowledged, resolved or snoozed it, and the
    brand's public reply to its post."""

    id: int
    idempotency_key: str
    tier: str
    current_tier: str
    status: str
    message: dict[str, Any]
    escalation_level: int
    next_escalation_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    reply_acknowledges: bool = True  # False: a public reply is shown on it, never acknowledges it
    reply: PublicReply | None = None  # the brand's first public reply to its post
    shadow: bool = False  # raised in shadow mode: its sends are recorded, never made

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    def silenced(self, now: datetime) -> str | None:
        """Why nothing of this alert may go out at `now` (acked, resolved, snoozed); None if it may."""
        if self.resolved_at is not None:
            return f"resolved by {self.resolved_by}"
        if self.acked_at is not None:
            return f"acknowledged by {self.acked_by}"
        if self.snoozed_until is not None and self.snoozed_until > now:
            return f"snoozed by {self.snoozed_by} until {self.snoozed_until:%Y-%m-%d %H:%M} UTC"
        return None
