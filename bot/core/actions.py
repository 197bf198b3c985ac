"""Typed values of routing: what a rule decided, and what the outbox sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.core.posts import require_aware

Priority = Literal["low", "normal", "high", "urgent"]
OutboxKind = Literal["ticket", "alert"]
PUBLIC_REPLY_ACK = " (public reply)"  # how an acknowledgement made by a brand's public reply is signed


def acknowledger_of_reply(responder: str) -> str:
    """Who acknowledged, for an alert acknowledged by `responder`'s public reply: "@handle (public reply)"."""
    return f"@{responder}{PUBLIC_REPLY_ACK}"


def acked_by_reply(acked_by: str | None) -> bool:
    """Whether an acknowledgement was made by a public reply rather than by a person in the feed."""
    return (acked_by or "").endswith(PUBLIC_REPLY_ACK)


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What the router decided for one post, and why (shown by `earshot route --explain`)."""

    post_id: int
    rule: str | None  # name of the rule that fired; None when none did
    reasons: tuple[str, ...]  # human-readable, one per condition that matched
    ticket_queue: str | None = None
    ticket_priority: Priority | None = None
    alert_tier: str | None = None
    digest: bool = False
    suppressed: bool = False
    incident_id: int | None = None
    ticket_id: int | None = None  # the ticket opened, or followed up, for this post
    ticket_action: Literal["opened", "follow-up"] | None = None
    alert_id: int | None = None
    visibility: dict[str, Any] = field(default_factory=dict)  # the figures the rules saw
    decided_at: datetime | None = None
    reviewed_at: datetime | None = None  # last re-check against newer engagement


@dataclass(frozen=True, kw_only=True)
class TicketRequest:
    """A ticket to open (or a comment to add when `thread_ref` names an existing one)."""

    idempotency_key: str
    queue: str
    priority: Priority
    subject: str
    body: str
    post_url: str
    author_handle: str | None
    requester_reach: int | None
    labels: dict[str, Any] = field(default_factory=dict)  # head -> label/score, for the sink's tags
    thread_ref: str | None = None  # external id of the ticket this follow-up belongs to
    incident_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class AlertMessage:
    """An alert to a responder tier: everything a human needs to act without opening the store."""

    idempotency_key: str
    tier: str
    title: str
    text: str  # post text, possibly redacted
    post_url: str
    author_handle: str | None
    author_reach: int | None
    labels: dict[str, Any]
    velocity_per_hour: float
    projected_reach: float
    incident_id: int | None
    incident_size: int
    rule: str
    reasons: tuple[str, ...]
    feed_url: str  # link to this alert in the alert feed
    created_at: datetime
    reply_acknowledges: bool = True  # may a public reply acknowledge it? never for the safety override
    answered_before: str | None = None  # one line: the best earlier answer to a complaint like it (docs/answers.md)

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)


@dataclass(frozen=True, kw_only=True)
class PublicReply:
    """The brand's first public answer to a post (a responder's reply), as an alert carries it."""

    responder: str  # the handle, without '@'
    at: datetime
    url: str
    text: str

    def __post_init__(self) -> None:
        require_aware("at", self.at)

    def describe(self, limit: int = 200) -> str:
        """`@handle at 2026-11-20 09:08 UTC: "text" (url)`, the text cut at `limit` characters."""
        words = " ".join(self.text.split())
        short = words if len(words) <= limit else words[: limit - 1] + "…"
        return f'@{self.responder} at {self.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: "{short}" ({self.url})'


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """The result of one send: sinks return it instead of raising for remote failure."""

    ok: bool
    ref: str | None = None  # the remote id (ticket number, message id)
    error: str | None = None
    retryable: bool = True  # False for 4xx that a retry cannot fix


@dataclass(frozen=True, kw_only=True)
class Incident:
    """Posts about the same problem, across sources: what routing and alerts know of the group."""

    id: int
    status: str
    title: str
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    post_count: int
    total_reach: int  # summed projected reach of the members
    alert_tiers: tuple[str, ...]  # tiers alerted so far
    ticket_id: int | None  # the incident's one ticket, once opened
    opened_at: datetime
    last_post_at: datetime


@dataclass(frozen=True, kw_only=True)
class IncidentMember:
    """One post of an incident's timeline, and how it joined."""

    post_id: int
    source: str
    author_handle: str | None
    post_created_at: datetime
    reach: int
    how: str  # opened | similar | thread | repost
    similarity: float | None = None
