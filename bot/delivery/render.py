"""Turns an alert (or a pile of capped alerts) into the Notice a channel sends, and back from JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from bot.core.actions import AlertMessage, PublicReply
from bot.delivery.channels.base import Notice, Severity
from bot.delivery.redact import redact, redact_link, redact_optional


def message_to_json(message: AlertMessage) -> dict[str, Any]:
    """An AlertMessage as JSON for the alert row."""
    data = asdict(message)
    data["created_at"] = message.created_at.isoformat()
    data["reasons"] = list(message.reasons)
    return data


def message_from_json(data: dict[str, Any]) -> AlertMessage:
    """The AlertMessage stored by message_to_json."""
    fields = dict(data)
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    fields["reasons"] = tuple(fields.get("reasons", ()))
    return AlertMessage(**fields)


def render(
    message: AlertMessage,
    *,
    tier: str,
    level: int,
    alert_id: int,
    redacted: bool,
    idempotency_key: str,
    reply: PublicReply | None = None,
) -> Notice:
    """The notice for one alert: everything a responder needs without opening the store, and the brand's
    public reply to the post when there is one (a page that goes out after a reply: the safety override's)."""
    if redacted:  # every field a stranger wrote: the text, the handle, the link's text, the title
        message = replace(
            message,
            text=redact(message.text),
            title=redact(message.title),
            author_handle=redact_optional(message.author_handle),
            post_url=redact_link(message.post_url),
            reasons=tuple(redact(reason) for reason in message.reasons),
        )
    escalated = f" (escalated to {tier}, level {level})" if level else ""
    labels = ", ".join(_label(head, value) for head, value in sorted(message.labels.items())) or "none"
    size = f"{message.incident_size} post{'s' if message.incident_size != 1 else ''}"
    incident = f"#{message.incident_id}, {size}" if message.incident_id is not None else "no incident"
    lines = [
        message.text,
        "",
        f"Post: {message.post_url}",
        f"Author: @{message.author_handle or 'unknown'} · reach {_count(message.author_reach)}",
        f"Labels: {labels}",
        f"Velocity: {message.velocity_per_hour:.0f}/h · projected reach {_count(message.projected_reach)}",
        f"Incident: {incident}",
        f"Rule: {message.rule}" + (f" — {'; '.join(message.reasons)}" if message.reasons else ""),
        *_reply_lines(reply, redacted),
        *([message.answered_before] if message.answered_before else []),
        f"Alert #{alert_id} ({tier}): {message.feed_url} — acknowledge with `earshot ack {alert_id} --by NAME`",
        f"Ref: {idempotency_key}",
    ]
    title = f"[{tier}] {message.title}{escalated}"
    return Notice(
        title=title,
        body="\n".join(lines),
        severity=_severity(tier, level, message),
        idempotency_key=idempotency_key,
        url=message.post_url,
    )


def render_summary(
    titles: Sequence[str], *, window: str, feed_url: str, idempotency_key: str, redacted: bool
) -> Notice:
    """One notice standing in for the alerts a channel's hourly cap held back."""
    shown = [f"• {redact(t) if redacted else t}" for t in titles[:20]]
    more = [f"… and {len(titles) - 20} more"] if len(titles) > 20 else []
    body = "\n".join(
        [
            f"{len(titles)} alerts over this channel's hourly cap ({window}):",
            *shown,
            *more,
            f"All alerts: {feed_url}",
            f"Ref: {idempotency_key}",
        ]
    )
    return Notice(
        title=f"Earshot: {len(titles)} more alerts held back",
        body=body,
        severity="warning",
        idempotency_key=idempotency_key,
        url=feed_url,
    )


def _reply_lines(reply: PublicReply | None, redacted: bool) -> list[str]:
    if reply is None:
        return []
    shown = replace(reply, text=redact(reply.text)) if redacted else reply
    return [f"Brand replied in public: {shown.describe()} — a reply does not acknowledge this alert"]


def _severity(tier: str, level: int, message: AlertMessage) -> Severity:
    urgency = str(message.labels.get("urgency", ""))
    return "failure" if level or "critical" in urgency or tier != "support" else "warning"


def _label(head: str, value: Any) -> str:
    if isinstance(value, dict) and "label" in value:
        score = value.get("score")
        return f"{head}={value['label']}" + (f" ({float(score):.2f})" if score is not None else "")
    if isinstance(value, (list, tuple)):
        return f"{head}=" + "/".join(_label("", v).lstrip("=") if isinstance(v, dict) else str(v) for v in value)
    return f"{head}={value}"


def _count(value: float | int | None) -> str:
    if value is None:
        return "unknown"
    value = float(value)
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"
