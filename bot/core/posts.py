"""Typed values passed between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.core.sanitize import (
    MAX_HANDLE,
    MAX_LANGUAGE,
    MAX_TEXT,
    bounded_id,
    bounded_int,
    clean_handle,
    clean_text,
)

PostKind = Literal["post", "reply", "comment", "repost", "quote"]

# Dates outside this window are rejected as absurd (X launched in 2006; Reddit in 2005).
EARLIEST_PLAUSIBLE = datetime(2005, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
MAX_MENTIONS = 50


def require_aware(name: str, value: datetime) -> None:
    """Raise ValueError unless `value` is timezone-aware."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Engagement:
    """Public metrics of a post at one moment.

    Reddit maps onto the same fields: score -> likes, num_comments -> replies.
    """

    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    views: int | None = None

    def __post_init__(self) -> None:
        for name in ("likes", "reposts", "replies", "quotes", "views"):
            bounded_int(name, getattr(self, name))  # a 64-bit column
            if name not in ("likes", "views") and getattr(self, name) < 0:  # Reddit scores can be negative
                raise ValueError(f"{name} must be >= 0")

    @property
    def interactions(self) -> int:
        """Likes, reposts, replies and quotes together."""
        return max(self.likes, 0) + self.reposts + self.replies + self.quotes


@dataclass(frozen=True, kw_only=True)
class Post:
    """One normalised post or comment from any source; downstream stages read these fields, never `raw`."""

    source: str  # a source name from connectors.registry: "x", "reddit", "bluesky", "mastodon"
    native_id: str
    author_handle: str | None  # None when the author is deleted or unknown
    author_reach: int | None  # followers on X, karma on Reddit; None when unknown
    text: str
    url: str
    created_at: datetime
    fetched_at: datetime
    engagement: Engagement = field(default_factory=Engagement)
    kind: PostKind = "post"
    parent_id: str | None = None
    conversation_id: str | None = None
    language: str | None = None
    author_id: str | None = None
    author_verified: bool = False
    is_deleted: bool = False
    mentions: tuple[str, ...] = ()  # accounts the post addresses, lower case without '@' (user@domain on Mastodon)
    community: str | None = None  # where it was posted: a subreddit (Reddit); None elsewhere
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._clean()
        if not self.native_id:
            raise ValueError("native_id must not be empty")
        require_aware("created_at", self.created_at)
        require_aware("fetched_at", self.fetched_at)
        if self.created_at < EARLIEST_PLAUSIBLE:
            raise ValueError(f"created_at {self.created_at.isoformat()} is before {EARLIEST_PLAUSIBLE.year}")
        if self.created_at > self.fetched_at + FUTURE_TOLERANCE:
            raise ValueError(f"created_at {self.created_at.isoformat()} is in the future")
        if not self.is_deleted and not self.text.strip():
            raise ValueError("text must not be empty")
        if self.author_reach is not None and self.author_reach < 0 and self.source == "x":
            raise ValueError("author_reach must be >= 0 on X")

    def _clean(self) -> None:
        """Text without NULs or lone surrogates; ids, handle and numbers within their columns."""
        fix = object.__setattr__  # frozen: cleaning happens once, here
        fix(self, "text", clean_text(self.text)[:MAX_TEXT])
        fix(self, "url", clean_text(self.url))
        for name in ("native_id", "author_id", "parent_id", "conversation_id"):
            fix(self, name, bounded_id(name, getattr(self, name)))
        fix(self, "author_handle", bounded_id("author_handle", clean_handle(self.author_handle), MAX_HANDLE))
        mentions = ((clean_handle(str(m)) or "").lstrip("@").lower()[:MAX_HANDLE] for m in self.mentions)
        fix(self, "mentions", tuple(dict.fromkeys(m for m in mentions if m))[:MAX_MENTIONS])
        fix(self, "community", bounded_id("community", self.community, MAX_HANDLE))
        if self.language is not None and len(clean_text(self.language)) > MAX_LANGUAGE:
            fix(self, "language", None)  # not a language tag: unknown
        bounded_int("author_reach", self.author_reach)

    @property
    def key(self) -> tuple[str, str]:
        """The post's identity in the store: (source, native id)."""
        return (self.source, self.native_id)


@dataclass(frozen=True, kw_only=True)
class EngagementUpdate:
    """Fresh metrics for a post already stored, from an engagement re-poll."""

    source: str  # a source name from connectors.registry: "x", "reddit"
    native_id: str
    taken_at: datetime
    engagement: Engagement
    author_reach: int | None = None
    is_deleted: bool = False

    def __post_init__(self) -> None:
        require_aware("taken_at", self.taken_at)


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """A post's engagement at one moment: a stored snapshot, or the post as fetched."""

    taken_at: datetime
    engagement: Engagement
    author_reach: int | None = None

    def __post_init__(self) -> None:
        require_aware("taken_at", self.taken_at)


@dataclass(frozen=True, kw_only=True)
class DeadLetter:
    """A record a source sent that cannot become a Post: why, and the record as text (cleaned, cut)."""

    source: str
    reason: str
    payload: str
    native_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", clean_text(self.reason)[:2000])
        object.__setattr__(self, "payload", clean_text(self.payload))
        if self.native_id is not None:
            object.__setattr__(self, "native_id", clean_text(self.native_id)[:64])
