"""Small helpers the templates use: ages in words and trend sparklines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.clock import utcnow


def ago(moment: datetime | None) -> str:
    """`3 min ago`, `2 h ago`, `4 d ago`, or `-`."""
    if moment is None:
        return "-"
    seconds = max((utcnow() - moment).total_seconds(), 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def sparkline(values: Sequence[int], width: int = 80, height: int = 18) -> str:
    """SVG polyline points for a trend, scaled to the box; empty with fewer than two values."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in enumerate(values))
