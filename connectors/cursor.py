"""Where a source resumes: one typed cursor per connector family, and its stored JSON, here only.

The store keeps a source's cursor as JSON (`source_cursor.cursor`), saved with the batch it
covers; `to_json()` writes it and `from_json()` reads it back, including cursors stored before
these types existed (the same keys). Invariants are checked at construction.

    PolledCursor    X, Reddit, Bluesky, Mastodon: a StreamCursor per stream, plus what the
                    source learned (account ids, notes, uris seen, X's spend)
    JetstreamCursor the last firehose event's `time_us`
    ReplayCursor    the recorded stream's next line and the replay's clock
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

MAX_SEEN = 200  # names kept per stream for ties on `since`


class SourceCursor(ABC):
    """A source's cursor: frozen, stored as JSON."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The JSON the store keeps."""

    @classmethod
    @abstractmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The cursor the store kept (this format or the dicts stored before it)."""

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> Self | None:
        """The stored cursor, or None when there is none yet (nothing stored, or `{}`)."""
        return cls.from_json(data) if data else None

    @classmethod
    def given(cls, cursor: SourceCursor | None) -> Self | None:
        """`cursor` as this kind (a connector's `fetch` argument); a TypeError for another kind."""
        if cursor is not None and not isinstance(cursor, cls):
            raise TypeError(f"expected a {cls.__name__}, got a {type(cursor).__name__}")
        return cursor


@dataclass(frozen=True, kw_only=True)
class Pending:
    """`since`/`seen` of a walk in progress (stopped at its page bound), adopted when it completes."""

    since: int | float | None = None
    seen: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "seen": list(self.seen)}


@dataclass(frozen=True, kw_only=True)
class StreamCursor:
    """One newest-first feed's position (`connectors.streams.walk`).

    since    the newest item's order key taken so far (X: post id; Reddit: created_utc)
    seen     names whose key equals `since` (ties on Reddit, where keys are seconds)
    next     a pagination token when the last walk stopped at its page bound
    pending  the walk in progress, adopted when it completes
    """

    since: int | float | None = None
    seen: tuple[str, ...] = ()
    next: str | None = None
    pending: Pending | None = None

    def __post_init__(self) -> None:
        if self.since is None and self.seen:
            raise ValueError("a stream cursor's seen names need its since")
        if self.next is None and self.pending is not None:
            raise ValueError("a stream cursor's pending walk needs its next token")
        if len(self.seen) > MAX_SEEN or (self.pending is not None and len(self.pending.seen) > MAX_SEEN):
            raise ValueError(f"a stream cursor keeps at most {MAX_SEEN} seen names")

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {} if self.since is None else {"since": self.since, "seen": list(self.seen)}
        if self.next is not None:
            found["next"] = self.next
        if self.pending is not None:
            found["pending"] = self.pending.to_json()
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StreamCursor:
        since = data.get("since")
        pending = data.get("pending") if data.get("next") else None
        return cls(
            since=since,
            seen=tuple(data.get("seen") or ()) if since is not None else (),
            next=data.get("next") or None,
            pending=Pending(since=pending.get("since"), seen=tuple(pending.get("seen") or ())) if pending else None,
        )


@dataclass(frozen=True, kw_only=True)
class SpendCount:
    """X's reads this UTC day and month, with the price and caps they were counted under."""

    day: str  # YYYY-MM-DD
    day_reads: int = 0
    month: str  # YYYY-MM
    month_reads: int = 0
    price_per_read_usd: float = 0.0
    daily_cap_usd: float | None = None
    monthly_cap_usd: float | None = None

    def __post_init__(self) -> None:
        if self.day_reads < 0 or self.month_reads < 0:
            raise ValueError("reads cannot be negative")

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "day_reads": self.day_reads,
            "month": self.month,
            "month_reads": self.month_reads,
            "price_per_read_usd": self.price_per_read_usd,
            "daily_cap_usd": self.daily_cap_usd,
            "monthly_cap_usd": self.monthly_cap_usd,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpendCount:
        return cls(
            day=str(data.get("day") or ""),
            day_reads=max(int(data.get("day_reads") or 0), 0),
            month=str(data.get("month") or ""),
            month_reads=max(int(data.get("month_reads") or 0), 0),
            price_per_read_usd=float(data.get("price_per_read_usd") or 0),
            daily_cap_usd=data.get("daily_cap_usd"),
            monthly_cap_usd=data.get("monthly_cap_usd"),
        )


_POLLED_KEYS = ("streams", "users", "notes", "uris", "spend")


@dataclass(frozen=True, kw_only=True)
class PolledCursor(SourceCursor):
    """A polled source's streams, and what it learned (kept so it is not asked again)."""

    streams: Mapping[str, StreamCursor] = field(default_factory=dict)  # stream key ("search:q") -> position
    users: Mapping[str, str | None] | None = None  # an account named in config -> its id (None: it has none)
    notes: Mapping[str, str] | None = None  # stream key -> why it is not read (Mastodon: search needs a token)
    uris: tuple[str, ...] | None = None  # statuses taken lately (Mastodon, several instances)
    spend: SpendCount | None = None  # X: what reading has cost
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys of another format, kept as they were

    def __post_init__(self) -> None:
        if not all(isinstance(key, str) and key for key in self.streams):
            raise ValueError("a stream key is a non-empty string")
        if overlap := set(self.extra) & set(_POLLED_KEYS):
            raise ValueError(f"extra keys shadow the cursor's own: {sorted(overlap)}")

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = dict(self.extra)
        if self.users is not None:
            found["users"] = dict(self.users)
        if self.notes is not None:
            found["notes"] = dict(self.notes)
        if self.uris is not None:
            found["uris"] = list(self.uris)
        if self.spend is not None:
            found["spend"] = self.spend.to_json()
        found["streams"] = {key: stream.to_json() for key, stream in self.streams.items()}
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolledCursor:
        spend, users, notes, uris = (data.get(key) for key in ("spend", "users", "notes", "uris"))
        return cls(
            streams={key: StreamCursor.from_json(value or {}) for key, value in (data.get("streams") or {}).items()},
            users=dict(users) if isinstance(users, Mapping) else None,
            notes=dict(notes) if isinstance(notes, Mapping) else None,
            uris=tuple(uris) if isinstance(uris, list) else None,
            spend=SpendCount.from_json(spend) if isinstance(spend, Mapping) else None,
            extra={key: value for key, value in data.items() if key not in _POLLED_KEYS},
        )


@dataclass(frozen=True, kw_only=True)
class JetstreamCursor(SourceCursor):
    """The last firehose event seen: Jetstream replays from its `time_us` (microseconds since the epoch)."""

    time_us: int | None = None

    def __post_init__(self) -> None:
        if self.time_us is not None and (isinstance(self.time_us, bool) or self.time_us < 0):
            raise ValueError(f"time_us must be a non-negative integer, got {self.time_us!r}")

    def to_json(self) -> dict[str, Any]:
        return {"time_us": self.time_us} if self.time_us else {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JetstreamCursor:
        return cls(time_us=int(data["time_us"]) if data.get("time_us") else None)


@dataclass(frozen=True, kw_only=True)
class ReplayCursor(SourceCursor):
    """The recorded stream's next line, and the replay's clock: posts are shifted by `offset_seconds`."""

    line: int
    offset_seconds: float
    stream_start: datetime  # the first page's recording time
    replay_start: datetime  # when this replay began (paced replays are due relative to it)

    def __post_init__(self) -> None:
        if self.line < 0:
            raise ValueError(f"line must not be negative, got {self.line}")
        if self.stream_start.tzinfo is None or self.replay_start.tzinfo is None:
            raise ValueError("a replay cursor's times must be timezone-aware")

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "offset_seconds": self.offset_seconds,
            "stream_start": self.stream_start.isoformat(),
            "replay_start": self.replay_start.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReplayCursor:
        return cls(
            line=int(data["line"]),
            offset_seconds=float(data["offset_seconds"]),
            stream_start=_time(data["stream_start"]),
            replay_start=_time(data["replay_start"]),
        )


def _time(value: str) -> datetime:
    """An ISO time as the replay stores it ('Z' accepted)."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
