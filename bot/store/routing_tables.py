"""Routing's tables: incidents, their posts, and every post's route decision (migration 0003)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from bot.store.tables import utc_column

INCIDENT_OPEN = "open"


class IncidentRow(SQLModel, table=True):
    """Posts about the same problem, across X and Reddit, grouped by topic and embedding similarity."""

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=INCIDENT_OPEN, max_length=16, index=True)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    title: str = Field(sa_type=Text)  # the first post's text, shortened
    opened_at: datetime = utc_column()
    last_post_at: datetime = utc_column(index=True)
    post_count: int = 0
    sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    total_reach: int = Field(default=0, sa_type=BigInteger)  # summed projected reach of the members
    alert_tiers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # tiers alerted
    ticket_id: int | None = None  # the incident's one ticket, once opened


class IncidentPostRow(SQLModel, table=True):
    """A post's membership of an incident, with why it joined: the incident's timeline."""

    __tablename__ = "incident_post"
    __table_args__ = (Index("ix_incident_post_recent", "incident_id", "post_id"),)

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    joined_at: datetime = utc_column()
    post_created_at: datetime = utc_column()
    reach: int = Field(default=0, sa_type=BigInteger)  # the post's projected reach when it joined
    how: str = Field(max_length=16)  # opened | similar | thread | repost
    similarity: float | None = None


class IncidentTermRow(SQLModel, table=True):
    """A distinctive word some member of the incident used: how a new post finds its candidates."""

    __tablename__ = "incident_term"

    term: str = Field(primary_key=True, max_length=64)
    incident_id: int = Field(foreign_key="incident.id", primary_key=True)


class RouteDecisionRow(SQLModel, table=True):
    """What the router decided for a post, the rule that fired and every reason."""

    __tablename__ = "route_decision"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    rule: str | None = Field(default=None, max_length=128)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ticket_queue: str | None = Field(default=None, max_length=64)
    ticket_priority: str | None = Field(default=None, max_length=16)
    alert_tier: str | None = Field(default=None, max_length=64)
    digest: bool = False
    suppressed: bool = False
    incident_id: int | None = Field(default=None, index=True)
    ticket_id: int | None = None  # the ticket opened, or followed up, for this post
    ticket_action: str | None = Field(default=None, max_length=16)  # opened | follow-up
    alert_id: int | None = None
    visibility: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    decided_at: datetime = utc_column()
    reviewed_at: datetime | None = utc_column(nullable=True)  # last re-check against newer engagement
