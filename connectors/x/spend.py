"""What reading X costs: posts read per UTC day and month, priced, capped; kept in the cursor (durable).

X bills each post a request returns (pay-per-use since February 2026). Every post in a response's
`data` and in its `includes.tweets`/`includes.posts` counts as one read. Before each fetch and each
engagement lookup the spend is checked against the caps: at a cap the source stops reading with
`SpendCapReached` (a `RateLimited` that lasts until the next UTC day or month), which the daemon logs
once as failing and the source alarm raises at once. A fetch under the cap finishes its walks (a walk
cut short would lose pages already paid for), so a cap can be passed by at most one fetch's pages.
The counts ride in the cursor (`spend`), stored with each batch, so they survive a restart; reads by
an engagement refresh are added to the next batch's cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from bot.core.errors import RateLimited
from bot.core.posts import Post
from bot.core.section import Section
from connectors.cursor import SpendCount


class CostSettings(Section):
    """`connectors.x.cost:` — the price of a post read and the caps that stop reading."""

    price_per_read_usd: float = Field(default=0.005, ge=0)
    daily_cap_usd: float | None = Field(default=None, gt=0)  # no cap when unset
    monthly_cap_usd: float | None = Field(default=None, gt=0)
    repoll_min_velocity: float = Field(default=1.0, ge=0)  # interactions per hour a complaint needs to be re-polled


class SpendCapReached(RateLimited):
    """A configured spend cap is reached: X is not read again until the period turns."""


@dataclass(kw_only=True)
class Spend:
    """Reads this UTC day and month (mutable: the connector's running count)."""

    day: str
    day_reads: int = 0
    month: str
    month_reads: int = 0

    @classmethod
    def starting(cls, saved: SpendCount | None, now: datetime) -> Spend:
        """The saved spend (a cursor's `spend`), rolled over to `now`'s day and month."""
        spend = cls(day=_day(now), month=_month(now))
        if saved is not None:
            if saved.day == spend.day:
                spend.day_reads = saved.day_reads
            if saved.month == spend.month:
                spend.month_reads = saved.month_reads
        return spend

    def roll(self, now: datetime) -> None:
        """A new UTC day or month starts from zero."""
        if self.day != _day(now):
            self.day, self.day_reads = _day(now), 0
        if self.month != _month(now):
            self.month, self.month_reads = _month(now), 0

    def add(self, reads: int, now: datetime) -> None:
        self.roll(now)
        self.day_reads += reads
        self.month_reads += reads

    def check(self, cost: CostSettings, now: datetime) -> None:
        """Raise SpendCapReached when today's or this month's spend has reached its cap."""
        self.roll(now)
        price = cost.price_per_read_usd
        if cost.daily_cap_usd is not None and self.day_reads * price >= cost.daily_cap_usd:
            until = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            raise SpendCapReached(
                f"x spend cap reached: {self.day_reads:,} posts read today = ${self.day_reads * price:,.2f} "
                f"of the ${cost.daily_cap_usd:,.2f} daily cap; X is read again from {until:%Y-%m-%d %H:%M} UTC",
                retry_after=max((until - now).total_seconds(), 1.0),
            )
        if cost.monthly_cap_usd is not None and self.month_reads * price >= cost.monthly_cap_usd:
            first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            until = (first + timedelta(days=32)).replace(day=1)
            raise SpendCapReached(
                f"x spend cap reached: {self.month_reads:,} posts read this month = "
                f"${self.month_reads * price:,.2f} of the ${cost.monthly_cap_usd:,.2f} monthly cap; "
                f"X is read again from {until:%Y-%m-%d} UTC",
                retry_after=max((until - now).total_seconds(), 1.0),
            )

    def as_cursor(self, cost: CostSettings) -> SpendCount:
        """What the cursor keeps (and `earshot sources`, `earshot status` and /metrics show)."""
        return SpendCount(
            day=self.day,
            day_reads=self.day_reads,
            month=self.month,
            month_reads=self.month_reads,
            price_per_read_usd=cost.price_per_read_usd,
            daily_cap_usd=cost.daily_cap_usd,
            monthly_cap_usd=cost.monthly_cap_usd,
        )


def worth_repolling(post: Post, now: datetime, min_velocity: float) -> bool:
    """A post still worth paying to re-read: under an hour old, or gaining `min_velocity` interactions an hour."""
    hours = (now - post.created_at).total_seconds() / 3600
    return hours < 1 or post.engagement.interactions / hours >= min_velocity


def reads_in(body: Any) -> int:
    """Posts an X response returned: `data` plus referenced posts in `includes`."""
    if not isinstance(body, dict):
        return 0
    data = body.get("data") or []
    data = [data] if isinstance(data, dict) else data
    count = sum(1 for t in data if isinstance(t, dict) and "text" in t) if isinstance(data, list) else 0
    includes = body.get("includes") or {}
    if isinstance(includes, dict):
        count += sum(len(includes.get(k) or []) for k in ("tweets", "posts") if isinstance(includes.get(k), list))
    return count


def _day(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def _month(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")
