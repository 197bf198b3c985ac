"""Whether a post whose incident already alerted its tier is held back, and why: no post silences another.

Only an alert of the incident at the post's tier or above, still standing, can hold a post back:
  - a resolved alert (a false alarm is resolved too) never does, nor one snoozed while the snooze lasts;
  - a critical post (the safety override's urgency) is held back only by a responder's acknowledgement
    of the incident within `routing.incidents.ack_silences_for_minutes`, or by an unacknowledged page
    about an earlier post of its own author; a page about another author (spam or not) never holds it;
  - any other post is held back by any standing alert, as before ("one alert per tier").
An acknowledgement made by a public reply (signed `@handle (public reply)`, bot.core.actions) is the
brand answering one post, not a responder taking the incident: it holds back no critical post.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.actions import Incident, acked_by_reply
from bot.core.durations import human_duration
from bot.core.posts import Post
from bot.store import IncidentAlert

SETTING = "routing.incidents.ack_silences_for_minutes"


@dataclass(frozen=True, kw_only=True)
class Hold:
    """The verdict on a post whose incident already alerted its tier: held back or not, and why."""

    held: bool
    reason: str


def hold(
    incident: Incident,
    alerts: Sequence[IncidentAlert],
    post: Post,
    *,
    outranks: Callable[[str], bool],
    critical: bool,
    now: datetime,
    ack_window: timedelta,
) -> Hold:
    """Whether the incident's `alerts` (those `outranks` says are at the post's tier or above) hold `post` back."""
    standing, gone = [], []
    for alert in (a for a in alerts if outranks(a.tier)):
        if alert.resolved_at is not None:
            gone.append(f"alert #{alert.id} was resolved by {alert.resolved_by}")
        elif alert.acked_at is None and alert.snoozed_until is not None and alert.snoozed_until > now:
            gone.append(f"alert #{alert.id} is snoozed until {alert.snoozed_until:%H:%M} UTC")
        else:
            standing.append(alert)
    incident_id, tiers = incident.id, ", ".join(incident.alert_tiers)
    if not critical:
        if standing or not gone:
            return Hold(held=True, reason=f"no new alert: incident #{incident_id} already alerted {tiers}")
        return Hold(held=False, reason=_pages_anyway(incident_id, tiers, gone))
    for alert in standing:
        if _human_ack(alert) and alert.acked_at is not None and now - alert.acked_at <= ack_window:
            return Hold(
                held=True,
                reason=f"no new alert: {alert.acked_by} acknowledged incident #{incident_id} "
                f"{human_duration((now - alert.acked_at).total_seconds())} ago (alert #{alert.id}); an "
                f"acknowledgement holds back the incident's critical posts for {_minutes(ack_window)} ({SETTING})",
            )
    for alert in standing:
        if alert.acked_at is None and _same_author(alert, post):
            return Hold(
                held=True,
                reason=f"no new alert: alert #{alert.id} of incident #{incident_id} already pages {alert.tier} "
                f"about @{post.author_handle}, unacknowledged",
            )
    for alert in standing:
        gone.append(_why_not(alert, now))
    who = f"@{post.author_handle}" if post.author_handle else "a deleted author"
    return Hold(
        held=False,
        reason=f"a critical post by {who} pages although incident #{incident_id} already alerted {tiers}: "
        f"no responder acknowledged the incident in the last {_minutes(ack_window)}"
        + (f" ({'; '.join(gone)})" if gone else ""),
    )


def _pages_anyway(incident_id: int, tiers: str, gone: list[str]) -> str:
    return (
        f"alerts although incident #{incident_id} already alerted {tiers}: {'; '.join(gone)} "
        "(resolving or snoozing an alert never silences a later post)"
    )


def _why_not(alert: IncidentAlert, now: datetime) -> str:
    """Why a standing alert does not hold a critical post back."""
    if alert.acked_at is None:
        return f"alert #{alert.id} is about @{alert.author_handle or '?'}, another author, and unacknowledged"
    if not _human_ack(alert):
        return f"alert #{alert.id} was acknowledged by a public reply ({alert.acked_by}), not by a responder"
    ago = human_duration((now - alert.acked_at).total_seconds())
    return f"alert #{alert.id} was acknowledged by {alert.acked_by} {ago} ago"


def _human_ack(alert: IncidentAlert) -> bool:
    return alert.acked_at is not None and not acked_by_reply(alert.acked_by)


def _same_author(alert: IncidentAlert, post: Post) -> bool:
    handle = (post.author_handle or "").lower()
    return bool(handle) and alert.source == post.source and (alert.author_handle or "").lower() == handle


def _minutes(window: timedelta) -> str:
    return human_duration(window.total_seconds())
