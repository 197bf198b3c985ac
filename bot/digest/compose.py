"""Builds a Digest from the store: the top incidents and viral complaints, volumes, responses, SLA breaches."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.digest.figures import emerging, hourly_volumes, is_complaint, volumes
from bot.digest.model import Answered, AnswerReuse, Digest, Item
from bot.digest.summary import summarize
from bot.store import ActedComplaint, DigestPost, IncidentFacts, Store, Transaction

OWN_POST = "guard:brand-own-post"


def compose(
    store: Store,
    start: datetime,
    end: datetime,
    *,
    brand: str,
    own_handles: Sequence[str] = (),
    feed_base_url: str = "",
    top: int = 5,
    timezone: str = "UTC",
) -> Digest:
    """The digest of [start, end), compared with the period of the same length before it."""
    before = start - (end - start)
    own = {h.lower().lstrip("@") for h in own_handles}
    ignore = frozenset(w for w in " ".join([brand, *own]).lower().split())
    with store.transaction() as tx:
        everything = [p for p in tx.digests.posts(before, end) if not _own(p, own)]
        now = [p for p in everything if p.created_at >= start]
        previous = [p for p in everything if p.created_at < start]
        complaints = [p for p in now if is_complaint(p)]
        items = _items(tx, everything, complaints, feed_base_url, ignore)[:top]
        replies = tx.responses.first_replies([p.id for p in complaints])
        breaches = tx.digests.sla_breaches(end)
        shadow_pages, shadow_tickets = tx.digests.shadow_counts(start, end)
        reuse = answer_reuse(tx.suggestions.acted_complaints(start, end))
        facts = {
            f.id: f
            for f in tx.digests.incident_facts(sorted({p.incident_id for p in now if p.incident_id is not None}))
        }
    answered = sorted(
        (
            Answered(
                post=p, responder=r[0], reply_url=r[1], time_to_reply=max((r[2] - p.created_at).total_seconds(), 0)
            )
            for p in complaints
            if (r := replies.get(p.id)) is not None
        ),
        key=lambda a: a.post.created_at,
    )
    viral = [i for i in items if i.viral]
    total, topic_volumes, sentiment_volumes = volumes(now, previous)
    bins, by_topic = hourly_volumes(complaints, start, end)
    return Digest(
        brand=brand,
        start=start,
        end=end,
        timezone=timezone,
        items=items,
        complaints=total,
        topics=topic_volumes,
        sentiments=sentiment_volumes,
        emerging=emerging(topic_volumes, facts.values(), now, start),
        viral=len(viral),
        viral_answered=sum(1 for i in viral if i.time_to_reply is not None),
        median_reply=statistics.median(a.time_to_reply for a in answered) if answered else None,
        answered=answered,
        breaches=breaches,
        reuse=reuse,
        volume_bins=bins,
        volume_by_topic=by_topic,
        shadow_pages=shadow_pages,
        shadow_tickets=shadow_tickets,
    )


def answer_reuse(acted: Sequence[ActedComplaint]) -> AnswerReuse:
    """How many acted-on complaints got an earlier answer; median time to a public reply with and without one."""
    with_times = [t for c in acted if c.suggested and (t := c.time_to_reply) is not None]
    without_times = [t for c in acted if not c.suggested and (t := c.time_to_reply) is not None]
    return AnswerReuse(
        acted=len(acted),
        suggested=sum(1 for c in acted if c.suggested),
        median_with=statistics.median(with_times) if with_times else None,
        median_without=statistics.median(without_times) if without_times else None,
        answered_with=len(with_times),
        answered_without=len(without_times),
    )


def _own(post: DigestPost, own: set[str]) -> bool:
    return post.rule == OWN_POST or (post.author_handle or "").lower() in own


def _items(
    tx: Transaction, everything: list[DigestPost], complaints: list[DigestPost], feed: str, ignore: frozenset[str]
) -> list[Item]:
    """Incidents with a complaint this period, and complaints outside any incident that went viral
    or were marked for the digest or alerted; ranked by projected reach, then velocity."""
    by_incident: dict[int, list[DigestPost]] = defaultdict(list)
    for post in everything:
        if post.incident_id is not None:
            by_incident[post.incident_id].append(post)
    wanted = {p.incident_id for p in complaints if p.incident_id is not None}
    facts = {f.id: f for f in tx.digests.incident_facts(sorted(wanted))}
    groups: list[tuple[list[DigestPost], IncidentFacts | None]] = [
        (by_incident[i], facts.get(i)) for i in sorted(wanted) if by_incident[i]
    ]
    groups += [([p], None) for p in complaints if p.incident_id is None and (p.viral or p.digest or p.alerted)]
    ranked = sorted(groups, key=lambda g: (-sum(p.projected_reach for p in g[0]), -sum(p.velocity for p in g[0])))
    return [_item(tx, rank, posts, incident, feed, ignore) for rank, (posts, incident) in enumerate(ranked, 1)]


def _item(
    tx: Transaction,
    rank: int,
    posts: list[DigestPost],
    incident: IncidentFacts | None,
    feed: str,
    ignore: frozenset[str],
) -> Item:
    originals = [p for p in posts if p.kind != "repost"] or posts
    rep = max(originals, key=lambda p: (p.projected_reach, p.velocity))
    by_source: dict[str, tuple[int, int]] = {}
    for p in posts:
        count, reach = by_source.get(p.source, (0, 0))
        by_source[p.source] = (count + 1, reach + p.projected_reach)
    first = min(p.created_at for p in posts)
    times = tx.responses.times([p.id for p in posts], first, incident_id=incident.id if incident else None)
    alerts = list(incident.alerts) if incident else tx.digests.post_alerts(rep.id)
    ticket = (
        (incident.ticket_id, incident.ticket_status, incident.ticket_queue, incident.assignee)
        if incident and incident.ticket_id
        else tx.digests.post_ticket(rep.id)
    )
    latest: dict[int, int] = {}
    growth = []
    for taken_at, post_id, interactions in tx.digests.interactions_over_time([p.id for p in posts]):
        latest[post_id] = interactions
        growth.append((taken_at, sum(latest.values())))
    return Item(
        rank=rank,
        title=_title(rep.text),
        incident_id=incident.id if incident else None,
        feed_url=f"{feed.rstrip('/')}/incidents/{incident.id}" if incident and feed else None,
        representative=rep,
        posts=len(posts),
        by_source=by_source,
        projected_reach=sum(p.projected_reach for p in posts),
        velocity=sum(p.velocity for p in posts),
        viral=any(p.viral for p in posts),
        summary=summarize([p.text for p in originals], ignore=ignore),
        status=_status(incident, ticket, alerts),
        owner=_owner(ticket, alerts),
        time_to_ack=times.time_to_ack,
        time_to_reply=times.time_to_reply,
        replied_by=times.replied_by,
        reply_url=times.reply_url,
        growth=tuple(growth),
    )


def _title(text: str, limit: int = 90) -> str:
    """The post's first sentence without handles or links, cut at a word."""
    words = " ".join(w for w in text.split() if not w.startswith(("@", "http", "RT")))
    first = re.split(r"(?<=[.!?])\s", words, maxsplit=1)[0].rstrip(".")
    first = first[:1].upper() + first[1:]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _status(
    incident: IncidentFacts | None,
    ticket: tuple[int | None, str | None, str | None, str | None] | None,
    alerts: Sequence[tuple[str, str, str | None]],
) -> str:
    parts = [f"incident {incident.status}"] if incident else []
    if ticket and ticket[0]:
        parts.append(f"ticket #{ticket[0]} {ticket[1]}")
    for first, current, acked_by in alerts[:2]:
        escalated = "" if first == current else f" (escalated to {current})"
        parts.append(
            f"alert to {first}{escalated} " + (f"acknowledged by {acked_by}" if acked_by else "unacknowledged")
        )
    return "; ".join(parts) or "no ticket, no alert"


def _owner(
    ticket: tuple[int | None, str | None, str | None, str | None] | None, alerts: Sequence[tuple[str, str, str | None]]
) -> str:
    if ticket and ticket[3]:
        return ticket[3]
    if ticket and ticket[2]:
        return f"{ticket[2].split('/')[0]} queue"
    if alerts:
        return f"{alerts[-1][1]} tier"
    return "nobody yet"


def utc(value: datetime) -> datetime:
    """An aware datetime in UTC (naive means UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def last(hours: float, now: datetime) -> tuple[datetime, datetime]:
    """The period of the last `hours` up to `now`."""
    return now - timedelta(hours=hours), now
