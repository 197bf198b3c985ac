"""The digest's figures: complaint volumes by topic and sentiment against the period before, what is emerging."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.digest.model import Volume
from bot.store import DigestPost, IncidentFacts

SENTIMENTS = ("negative", "neutral", "positive")
CHART_TOPICS = 5


def is_complaint(post: DigestPost) -> bool:
    """The classifier says so, or a human was paged about it, or it went viral and is not praise."""
    return post.complaint or post.alerted or (post.viral and post.sentiment != "positive")


def volumes(now: Sequence[DigestPost], before: Sequence[DigestPost]) -> tuple[Volume, list[Volume], list[Volume]]:
    """Complaints in all, by main topic (busiest first) and by sentiment, this period and the one before."""
    mine = [p for p in now if is_complaint(p)]
    theirs = [p for p in before if is_complaint(p)]
    topic_now, topic_before = Counter(_topic(p) for p in mine), Counter(_topic(p) for p in theirs)
    topics = sorted(
        (Volume(name=n, now=topic_now[n], before=topic_before[n]) for n in topic_now | topic_before),
        key=lambda v: (-v.now, -v.before, v.name),
    )
    mood_now, mood_before = Counter(p.sentiment for p in mine), Counter(p.sentiment for p in theirs)
    sentiments = [Volume(name=s, now=mood_now[s], before=mood_before[s]) for s in SENTIMENTS]
    return Volume(name="complaints", now=len(mine), before=len(theirs)), topics, sentiments


def emerging(
    topics: Sequence[Volume], incidents: Iterable[IncidentFacts], now: Sequence[DigestPost], start: datetime
) -> list[str]:
    """New or fastest-growing topics, and incidents opened this period with the most posts, as lines."""
    lines = []
    growing = sorted((v for v in topics if v.now > v.before), key=lambda v: (-(v.now - v.before), v.name))
    for v in growing[:3]:
        was = "none the period before" if v.before == 0 else f"up from {v.before}"
        lines.append(f"{v.name}: {v.now} complaint{'s' if v.now != 1 else ''}, {was}")
    counts = Counter(p.incident_id for p in now if p.incident_id is not None)
    fresh = sorted((i for i in incidents if i.opened_at >= start and counts[i.id] > 1), key=lambda i: -counts[i.id])
    for incident in fresh[:3]:
        lines.append(f"new incident #{incident.id}: {_short(incident.title)} ({counts[incident.id]} posts)")
    return lines


def hourly_volumes(
    complaints: Sequence[DigestPost], start: datetime, end: datetime
) -> tuple[tuple[datetime, ...], dict[str, tuple[int, ...]]]:
    """Complaints per time bin (an hour, or longer for long periods) for the busiest topics."""
    span = (end - start).total_seconds()
    step = timedelta(hours=max(1, round(span / 3600 / 48)))  # at most ~48 bins
    count = max(1, int(span // step.total_seconds()) + (1 if span % step.total_seconds() else 0))
    bins = tuple(start + step * i for i in range(count))
    busiest = [name for name, _ in Counter(_topic(p) for p in complaints).most_common(CHART_TOPICS)]
    series = {name: [0] * count for name in busiest}
    for post in complaints:
        name = _topic(post)
        if name in series:
            index = min(int((post.created_at - start) / step), count - 1)
            series[name][index] += 1
    return bins, {name: tuple(values) for name, values in series.items()}


def _topic(post: DigestPost) -> str:
    return post.topics[0] if post.topics else "other"


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
