"""The brand's public answers and the digests sent (migration 0004_digest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.tables import utc_column


class ResponseRow(SQLModel, table=True):
    """A responder's public reply to a post; `post_id` is set once the post it answers is stored."""

    __tablename__ = "response"

    id: int | None = Field(default=None, primary_key=True)
    reply_post_id: int = Field(foreign_key="post.id", unique=True)  # the responder's own post
    source: str = Field(max_length=16)
    parent_native_id: str = Field(max_length=64)  # the post replied to (X replied_to, Reddit parent_id)
    conversation_id: str | None = Field(default=None, max_length=64)  # the thread's root
    responder: str = Field(max_length=128)
    url: str = Field(sa_type=Text)
    responded_at: datetime = utc_column()
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)  # the post answered
    linked_at: datetime | None = utc_column(nullable=True)


class DigestRow(SQLModel, table=True):
    """A digest built for one schedule and period; unique so it is claimed, and sent, once."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("schedule", "period_start", "period_end", name="uq_digest_period"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=64)  # a schedule's name, or "manual"
    period_start: datetime = utc_column()
    period_end: datetime = utc_column()
    created_at: datetime = utc_column()
    status: str = Field(default="claimed", max_length=16)  # claimed | sent | failed | kept (built, not sent)
    lease_until: datetime | None = utc_column(nullable=True)  # a claim another process may take after this
    subject: str = Field(default="", sa_type=Text)
    text: str = Field(default="", sa_type=Text)
    html: str = Field(default="", sa_type=Text)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sent_at: datetime | None = utc_column(nullable=True)
    error: str | None = Field(default=None, sa_type=Text)
