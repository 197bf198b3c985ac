"""What a digest says, as typed values: rendered to HTML and text, stored, charted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.store import DigestPost, TicketBreach


@dataclass(frozen=True, kw_only=True)
class Item:
    """One incident or viral complaint of the period, with its size and the brand's answer."""

    rank: int
    title: str
    incident_id: int | None
    feed_url: str | None  # the incident in the web feed
    representative: DigestPost
    posts: int
    by_source: dict[str, tuple[int, int]]  # source -> (posts, projected reach)
    projected_reach: int
    velocity: float  # interactions per hour, all posts together
    viral: bool
    summary: str
    status: str
    owner: str
    time_to_ack: float | None  # seconds
    time_to_reply: float | None
    replied_by: str | None
    reply_url: str | None
    growth: tuple[tuple[datetime, int], ...] = ()  # (when, interactions of all its posts): from snapshots


@dataclass(frozen=True, kw_only=True)
class Volume:
    """Complaints about one topic (or with one sentiment) this period and the one before."""

    name: str
    now: int
    before: int

    @property
    def change(self) -> str:
        """'+3', '−2', 'new' or '='."""
        if self.before == 0 and self.now:
            return "new"
        delta = self.now - self.before
        return "=" if delta == 0 else f"+{delta}" if delta > 0 else f"−{-delta}"


@dataclass(frozen=True, kw_only=True)
class Answered:
    """A complaint of the period the brand answered in public."""

    post: DigestPost
    responder: str
    reply_url: str
    time_to_reply: float


@dataclass(frozen=True, kw_only=True)
class AnswerReuse:
    """Complaints with a ticket or an alert offered an earlier answer, and how fast each kind was answered."""

    acted: int  # complaints of the period with a ticket or an alert
    suggested: int  # of those, how many got a known answer suggested
    median_with: float | None  # seconds to the first public reply, with a suggestion
    median_without: float | None  # ... and without one
    answered_with: int = 0
    answered_without: int = 0

    @property
    def faster_by(self) -> float | None:
        """How much sooner (seconds) complaints with a suggestion were answered; negative if slower."""
        if self.median_with is None or self.median_without is None:
            return None
        return self.median_without - self.median_with


@dataclass(frozen=True, kw_only=True)
class Digest:
    """The executive digest of [start, end)."""

    brand: str
    start: datetime
    end: datetime
    timezone: str
    items: list[Item]
    complaints: Volume
    topics: list[Volume]
    sentiments: list[Volume]
    emerging: list[str]
    viral: int  # viral complaints and incidents among the items
    viral_answered: int
    median_reply: float | None  # seconds, over every complaint answered in public this period
    answered: list[Answered]
    breaches: list[TicketBreach]
    reuse: AnswerReuse | None = None
    volume_bins: tuple[datetime, ...] = ()
    source_names: dict[str, str] = field(default_factory=dict)  # source -> display name (from its package)
    volume_by_topic: dict[str, tuple[int, ...]] = field(default_factory=dict)
    shadow_pages: int = 0  # alerts recorded in shadow mode this period: would have gone out
    shadow_tickets: int = 0

    @property
    def shadow_line(self) -> str | None:
        """'in shadow mode: N pages, M tickets would have gone out', when anything was recorded in shadow mode."""
        if not (self.shadow_pages or self.shadow_tickets):
            return None
        pages = f"{self.shadow_pages} page{'' if self.shadow_pages == 1 else 's'}"
        tickets = f"{self.shadow_tickets} ticket{'' if self.shadow_tickets == 1 else 's'}"
        return f"in shadow mode: {pages}, {tickets} would have gone out (nothing was sent)"

    @property
    def empty(self) -> bool:
        """Nothing spread: no incident and no viral complaint."""
        return not self.items
