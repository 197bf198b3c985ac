"""Builds the ticket requests and alert messages the router hands to the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.core.actions import AlertMessage, Incident, Priority, TicketRequest
from bot.core.labels import Labels
from bot.core.posts import Post
from bot.routing.rules import SAFETY_RULE, Verdict
from bot.routing.visibility import Visibility


def ticket_key(post_id: int) -> str:
    """The idempotency key of the ticket (or follow-up) a post asks for."""
    return f"ticket:post:{post_id}"


def alert_key(post_id: int) -> str:
    """The idempotency key of the alert a post's rule raises."""
    return f"alert:post:{post_id}"


def incident_alert_key(incident_id: int, tier: str) -> str:
    """The idempotency key of the alert an incident raises when it grows into `tier`."""
    return f"alert:incident:{incident_id}:{tier}"


def label_summary(labels: Labels) -> dict[str, Any]:
    """Each head's label with its confidence, for tags and alert text."""
    return {
        "complaint": f"{'yes' if labels.complaint else 'no'} ({labels.complaint_score:.2f})",
        "sentiment": f"{labels.sentiment} ({labels.sentiment_score:.2f})",
        "severity": f"{labels.severity} ({labels.severity_score:.2f})",
        "urgency": labels.urgency + (f" ({', '.join(labels.urgency_reasons)})" if labels.urgency_reasons else ""),
        "topics": ", ".join(f"{t.name} ({t.score:.2f})" for t in labels.topics) or "none",
    }


def ticket_request(
    *,
    post_id: int,
    post: Post,
    labels: Labels,
    verdict: Verdict,
    visibility: Visibility,
    queue: str,
    priority: Priority,
    incident: Incident | None,
    thread_ref: str | None,
) -> TicketRequest:
    """The ticket (or, with `thread_ref`, the follow-up comment) for one post."""
    who = f"@{post.author_handle}" if post.author_handle else "a deleted author"
    body = "\n".join(
        [
            post.text,
            "",
            f"{who} on {post.source} ({post.author_reach or 0:,} reach): {post.url}",
            f"Rule: {verdict.rule} — " + "; ".join(verdict.reasons),
            f"Visibility: {visibility.describe()}",
            *(
                [
                    f"Incident #{incident.id}: {incident.post_count} posts on {', '.join(incident.sources)}, "
                    f"reach {incident.total_reach:,}"
                ]
                if incident is not None
                else []
            ),
        ]
    )
    return TicketRequest(
        idempotency_key=ticket_key(post_id),
        queue=queue,
        priority=priority,
        subject=f"{who} on {post.source}: {_short(post.text, 80)}",
        body=body,
        post_url=post.url,
        author_handle=post.author_handle,
        requester_reach=post.author_reach,
        labels=label_summary(labels),
        thread_ref=thread_ref,
        incident_id=incident.id if incident is not None else None,
    )


def alert_message(
    *,
    key: str,
    tier: str,
    post: Post,
    labels: Labels,
    rule: str,
    reasons: tuple[str, ...],
    visibility: Visibility,
    incident: Incident | None,
    feed_base_url: str,
    now: datetime,
    title: str | None = None,
    answered_before: str | None = None,
) -> AlertMessage:
    """An alert with everything a responder needs: text, link, reach, labels, velocity, incident, why.

    A public reply never acknowledges the safety override's alert: a social-care answer is not the danger handled.
    """
    who = f"@{post.author_handle}" if post.author_handle else "a deleted author"
    return AlertMessage(
        idempotency_key=key,
        tier=tier,
        title=title or f"[{labels.urgency}] {who} on {post.source}: {_short(post.text, 70)}",
        text=post.text,
        post_url=post.url,
        author_handle=post.author_handle,
        author_reach=post.author_reach,
        labels=label_summary(labels),
        velocity_per_hour=round(visibility.velocity, 1),
        projected_reach=float(visibility.projected_reach),
        incident_id=incident.id if incident is not None else None,
        incident_size=incident.post_count if incident is not None else 1,
        rule=rule,
        reasons=reasons,
        feed_url=f"{feed_base_url.rstrip('/')}/alerts/{quote(key, safe='')}",
        created_at=now,
        reply_acknowledges=rule != SAFETY_RULE,
        answered_before=answered_before,
    )


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
