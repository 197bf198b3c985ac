"""Delivery tables: the built-in ticket queue, the alert feed and the outbox that sends both.

Every change here needs an Alembic migration (0002_delivery and later).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from bot.store.tables import utc_column

TICKET_STATUSES = ("new", "open", "pending", "resolved")
ALERT_STATUSES = ("pending", "sent", "acked", "resolved", "failed", "shadow")
# pending → sending → sent | dead; held: over the channel's hourly cap, waiting for its summary;
# summarized: covered by a summary that was enqueued; cancelled: its alert was acked, resolved or
# snoozed before it went; shadow: recorded in shadow mode as "would have sent", never sent (not even later).
OUTBOX_STATUSES = ("pending", "sending", "sent", "dead", "held", "summarized", "cancelled", "shadow")


class TicketRow(SQLModel, table=True):
    """A ticket in the built-in queue; `external_refs` maps sink name → the remote ticket id."""

    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    incident_id: int | None = Field(default=None, index=True)
    queue: str = Field(max_length=64)
    priority: str = Field(max_length=16)
    status: str = Field(default="new", max_length=16)
    assignee: str | None = Field(default=None, max_length=128)
    subject: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    post_url: str = Field(default="", sa_type=Text)
    first_response_due: datetime = utc_column()
    resolution_due: datetime = utc_column()
    thread_key: str | None = Field(default=None, max_length=200, index=True)
    external_refs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_column()
    updated_at: datetime = utc_column()
    shadow: bool = False  # opened in shadow mode: in the built-in queue only, never sent to a sink


class TicketEventRow(SQLModel, table=True):
    """A follow-up on a ticket: a comment from a later post in the same thread, or a status change."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    post_id: int | None = Field(default=None, foreign_key="post.id")
    kind: str = Field(default="comment", max_length=16)  # comment | status
    body: str = Field(sa_type=Text)
    author: str | None = Field(default=None, max_length=128)
    created_at: datetime = utc_column()


class AlertRow(SQLModel, table=True):
    """An alert in the feed: what was sent to which tier, and whether a human acknowledged it."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_escalation", "acked_at", "next_escalation_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    incident_id: int | None = Field(default=None, index=True)
    tier: str = Field(max_length=64)  # the tier first alerted
    current_tier: str = Field(max_length=64)  # the tier alerted last (after escalations)
    rule: str = Field(default="", max_length=128)
    message: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = utc_column()
    sent_at: datetime | None = utc_column(nullable=True)
    acked_at: datetime | None = utc_column(nullable=True)
    acked_by: str | None = Field(default=None, max_length=128)
    resolved_at: datetime | None = utc_column(nullable=True)  # resolving acknowledges too
    resolved_by: str | None = Field(default=None, max_length=128)
    snoozed_until: datetime | None = utc_column(nullable=True)  # nothing of it goes out before then
    snoozed_by: str | None = Field(default=None, max_length=128)
    escalation_level: int = 0
    next_escalation_at: datetime | None = utc_column(nullable=True)
    reply_acknowledges: bool = True  # False: a public reply never acks it (safety override, or its tier says so)
    reply_by: str | None = Field(default=None, max_length=128)  # the brand's first public reply to its post
    reply_at: datetime | None = utc_column(nullable=True)
    reply_url: str | None = Field(default=None, sa_type=Text)
    reply_text: str | None = Field(default=None, sa_type=Text)
    shadow: bool = False  # raised in shadow mode: in the feed only, "would have sent", never sent nor escalated out


class OutboxRow(SQLModel, table=True):
    """One send to one sink or channel; stored before it is sent, sent until it succeeds or dies."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # ticket | alert
    ref_id: int = Field(index=True)  # ticket.id or alert.id
    target: str = Field(max_length=128)  # sink name, or channel id (never a URL: URLs hold secrets)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str = Field(max_length=255, unique=True)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = utc_column()
    last_error: str | None = Field(default=None, sa_type=Text)
    external_ref: str | None = Field(default=None, max_length=255)
    created_at: datetime = utc_column()
    sent_at: datetime | None = utc_column(nullable=True)
