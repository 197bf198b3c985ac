"""Reading a source's spend as its cursor keeps it (`{"day", "day_reads", "month", "month_reads", "price_per_read_usd",
...}`, written by connectors/x/spend.py): the figures `earshot sources`, `earshot status` and /metrics show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class SpendNow:
    """Posts read and their price, today and this month (UTC), with the caps."""

    day_reads: int
    month_reads: int
    price_per_read_usd: float
    daily_cap_usd: float | None = None
    monthly_cap_usd: float | None = None

    @property
    def day_usd(self) -> float:
        return self.day_reads * self.price_per_read_usd

    @property
    def month_usd(self) -> float:
        return self.month_reads * self.price_per_read_usd

    def describe(self) -> str:
        """`today 1,200 reads = $6.00 (cap $10.00); this month 9,000 reads = $45.00 (no cap)`."""
        day_cap = f"cap ${self.daily_cap_usd:,.2f}" if self.daily_cap_usd else "no cap"
        month_cap = f"cap ${self.monthly_cap_usd:,.2f}" if self.monthly_cap_usd else "no cap"
        return (
            f"today {self.day_reads:,} reads = ${self.day_usd:,.2f} ({day_cap}); "
            f"this month {self.month_reads:,} reads = ${self.month_usd:,.2f} ({month_cap}) "
            f"at ${self.price_per_read_usd:g} a read"
        )


def spend_of(cursor: Any, now: datetime | None = None) -> SpendNow | None:
    """The spend in a source's cursor as of `now` (a past day or month counts as zero); None if it keeps none."""
    spend = cursor.get("spend") if isinstance(cursor, dict) else None
    if not isinstance(spend, dict):
        return None
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        return SpendNow(
            day_reads=int(spend.get("day_reads") or 0) if spend.get("day") == now.strftime("%Y-%m-%d") else 0,
            month_reads=int(spend.get("month_reads") or 0) if spend.get("month") == now.strftime("%Y-%m") else 0,
            price_per_read_usd=float(spend.get("price_per_read_usd") or 0),
            daily_cap_usd=float(spend["daily_cap_usd"]) if spend.get("daily_cap_usd") else None,
            monthly_cap_usd=float(spend["monthly_cap_usd"]) if spend.get("monthly_cap_usd") else None,
        )
    except (TypeError, ValueError):
        return None
