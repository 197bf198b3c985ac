"""Database tables. Every change here needs an Alembic migration in bot/migrations/versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.stages import STAGE_INGESTED
from bot.store.types import UTCDateTime


def utc_column(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class PostRow(SQLModel, table=True):
    """A post or comment, unique on (source, native_id)."""

    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("source", "native_id", name="uq_post_source_native_id"),
        Index("ix_post_stage", "stage"),
        Index("ix_post_review_due", "review_due"),
        Index("ix_post_source_author", "source", "author_handle"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    native_id: str = Field(max_length=64)
    kind: str = Field(default="post", max_length=16)
    author_handle: str | None = Field(default=None, max_length=128)
    author_id: str | None = Field(default=None, max_length=64)
    author_reach: int | None = Field(default=None, sa_type=BigInteger)
    author_verified: bool = False
    text: str = Field(sa_type=Text)
    url: str = Field(sa_type=Text)
    created_at: datetime = utc_column(index=True)
    fetched_at: datetime = utc_column()
    parent_id: str | None = Field(default=None, max_length=64)
    conversation_id: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16)
    is_deleted: bool = False
    likes: int = Field(default=0, sa_type=BigInteger)
    reposts: int = Field(default=0, sa_type=BigInteger)
    replies: int = Field(default=0, sa_type=BigInteger)
    quotes: int = Field(default=0, sa_type=BigInteger)
    views: int | None = Field(default=None, sa_type=BigInteger)
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    community: str | None = Field(default=None, max_length=128)
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stage: str = Field(default=STAGE_INGESTED, max_length=16)
    stage_at: datetime = utc_column()
    review_due: bool = False  # routed, then a newer engagement snapshot came: the router looks again


class EngagementSnapshotRow(SQLModel, table=True):
    """A post's public metrics at one moment; velocity comes from consecutive snapshots."""

    __tablename__ = "engagement_snapshot"
    __table_args__ = (UniqueConstraint("post_id", "taken_at", name="uq_snapshot_post_time"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    taken_at: datetime = utc_column()
    likes: int = Field(default=0, sa_type=BigInteger)
    reposts: int = Field(default=0, sa_type=BigInteger)
    replies: int = Field(default=0, sa_type=BigInteger)
    quotes: int = Field(default=0, sa_type=BigInteger)
    views: int | None = Field(default=None, sa_type=BigInteger)
    author_reach: int | None = Field(default=None, sa_type=BigInteger)


class SourceCursorRow(SQLModel, table=True):
    """Where a connector resumes; saved in the same transaction as the posts it covers."""

    __tablename__ = "source_cursor"

    source: str = Field(primary_key=True, max_length=64)
    cursor: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = utc_column()


class SourceStateRow(SQLModel, table=True):
    """A connector's health, shown by `earshot sources`."""

    __tablename__ = "source_state"

    source: str = Field(primary_key=True, max_length=64)
    status: str = Field(default="ok", max_length=16)  # ok | failing | stopped
    last_success_at: datetime | None = utc_column(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_at: datetime | None = utc_column(nullable=True)
    failing_since: datetime | None = utc_column(nullable=True)
    day: str = Field(default="", max_length=10)  # UTC date posts_today counts
    posts_today: int = 0
    posts_total: int = Field(default=0, sa_type=BigInteger)
    skipped_total: int = Field(default=0, sa_type=BigInteger)  # corrupt or unusable records
    last_new_at: datetime | None = utc_column(nullable=True)  # when the source last yielded a new post
    alarm_since: datetime | None = utc_column(nullable=True)  # the silent-source alarm, while raised
    alarm_reason: str | None = Field(default=None, sa_type=Text)


class DeadLetterRow(SQLModel, table=True):
    """A record a source sent that could not be stored: kept with the reason, for a human to look at."""

    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    native_id: str | None = Field(default=None, max_length=64)
    reason: str = Field(sa_type=Text)
    payload: str = Field(sa_type=Text)
    created_at: datetime = utc_column()


class ClassificationRow(SQLModel, table=True):
    """The classifier's labels for a post, with the model version that produced them."""

    __tablename__ = "classification"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    model_version: str = Field(max_length=64)
    complaint: bool
    complaint_score: float
    sentiment: str = Field(max_length=16)
    sentiment_score: float
    severity: int
    severity_score: float
    urgency: str = Field(max_length=16)
    urgency_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    safety_score: float = 0.0
    about_brand: bool = True
    relevance: str = Field(default="", max_length=200)
    topics: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str | None = Field(default=None, max_length=16)
    needs_review: bool = False
    embedding: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    classified_at: datetime = utc_column()
