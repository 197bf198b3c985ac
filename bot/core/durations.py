"""Durations in words, as a person reads them: '45 s', '12 min', '1 h 08 min', '2 d 3 h'."""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """`seconds` in the largest two units that matter."""
    whole = int(round(max(seconds, 0.0)))
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
