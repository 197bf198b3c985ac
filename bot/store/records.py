"""Typed values the store hands to the stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.posts import Post


@dataclass(frozen=True, kw_only=True)
class StoredPost:
    """A post with its row id, as the later stages see it."""

    id: int
    post: Post


@dataclass(frozen=True, kw_only=True)
class Ticket:
    """A ticket of the built-in queue as stored; `external_refs` maps sink name to the remote ticket id."""

    id: int
    idempotency_key: str
    post_id: int | None
    incident_id: int | None
    queue: str
    priority: str
    status: str
    assignee: str | None
    subject: str
    body: str
    post_url: str
    first_response_due: datetime
    resolution_due: datetime
    thread_key: str | None
    external_refs: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    shadow: bool


@dataclass(frozen=True, kw_only=True)
class SourceState:
    """A connector's health as `earshot sources` shows it, and its silent-source alarm."""

    source: str
    status: str = "ok"  # ok | failing | stopped
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None
    day: str = ""  # UTC date posts_today counts
    posts_today: int = 0
    posts_total: int = 0
    skipped_total: int = 0  # corrupt or unusable records
    last_new_at: datetime | None = None  # when the source last yielded a new post
    alarm_since: datetime | None = None  # the silent-source alarm, while raised
    alarm_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class SnapshotRecord:
    """One engagement snapshot of a stored post, as taken."""

    post_id: int
    taken_at: datetime
    likes: int
    reposts: int
    replies: int
    quotes: int
    views: int | None
    author_reach: int | None
