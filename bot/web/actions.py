"""The feed's actions, shared by the pages and the JSON API; each writes an audit row.

Acknowledge is `bot.delivery.acknowledge`, the very operation `earshot ack` runs; a false alarm is
`false_alarm`, the very operation `earshot false-alarm` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.core.clock import utcnow
from bot.core.labels import URGENCY_ORDER
from bot.delivery import acknowledge, resolve, snooze
from bot.routing.answers.gaps import Gap, find_gaps
from bot.store import CORRECTION_KINDS, Store
from bot.web.auth import Forbidden, Principal
from bot.web.deps import Feed

ACTIONS = ("ack", "claim", "resolve", "snooze", "reassign", "note", "false-alarm")
MAX_NOTE = 4000
MAX_SNOOZE_MINUTES = 7 * 24 * 60


class NotFound(Exception):
    """No such alert, post or user (404)."""


class BadRequest(ValueError):
    """The request's values are wrong (400): the message says which."""


def act(
    store: Store, who: Principal, alert_id: int, action: str, *, minutes: int = 0, to: str = "", note: str = ""
) -> str:
    """Do `action` on alert `alert_id` as `who`; returns what was done, in words."""
    if not who.can_act:
        raise Forbidden(f"{who.name} is a viewer and cannot act")
    if action not in ACTIONS:
        raise NotFound(f"no action {action!r}")
    if action in ("ack", "resolve", "snooze"):
        return _silence(store, who, alert_id, action, minutes)
    if action == "false-alarm":
        return false_alarm(store, alert_id, who.name)
    with store.transaction() as tx:
        if action == "claim":
            done, said = tx.handling.claim(alert_id, who.name), f"alert {alert_id} claimed by {who.name}"
        elif action == "reassign":
            target = tx.users.get(to.strip())
            if target is None or target.disabled:
                raise BadRequest(f"no user {to.strip()[:64]!r} to reassign to")
            done, said = tx.handling.claim(alert_id, target.name), f"alert {alert_id} reassigned to {target.name}"
        else:
            body = note.strip()
            if not body or len(body) > MAX_NOTE:
                raise BadRequest(f"a note needs 1 to {MAX_NOTE} characters")
            done, said = tx.handling.add_note(alert_id, who.name, body), f"note added to alert {alert_id}"
        if not done:
            raise NotFound(f"no alert {alert_id}")
        tx.audit.record(who.name, action, f"alert:{alert_id}", minutes=minutes or None, to=to or None)
    return said


def _silence(store: Store, who: Principal, alert_id: int, action: str, minutes: int) -> str:
    """Acknowledge, resolve or snooze through bot.delivery, as `earshot ack` does: unsent messages are cancelled."""
    if action == "ack":
        done, said = acknowledge(store, alert_id, who.name), f"alert {alert_id} acknowledged"
    elif action == "resolve":
        done, said = resolve(store, alert_id, who.name), f"alert {alert_id} resolved"
    else:
        if not 1 <= minutes <= MAX_SNOOZE_MINUTES:
            raise BadRequest(f"snooze minutes must be between 1 and {MAX_SNOOZE_MINUTES}")
        until = utcnow() + timedelta(minutes=minutes)
        done, said = snooze(store, alert_id, who.name, until=until), f"alert {alert_id} snoozed until {until:%H:%M} UTC"
    if done is None:
        raise NotFound(f"no alert {alert_id}")
    _audit(store, who, action, alert_id, minutes=minutes or None)
    return said


def false_alarm(store: Store, alert_id: int, by: str) -> str:
    """Mark a page a false alarm, in one transaction: the alert is resolved (nothing unsent of it goes out)
    and its post is kept as a `false_alarm` correction for the next `earshot train`. Like resolving, it
    silences no later post of the incident (bot/routing/silence.py)."""
    with store.transaction(now=utcnow()) as tx:
        item = tx.feed.item(alert_id)
        if item is None:
            raise NotFound(f"no alert {alert_id}")
        if item.post_id is None:
            raise BadRequest(f"alert {alert_id} is about no post: resolve it instead")
        tx.alerts.resolve(alert_id, by)
        tx.labels.correct(item.post_id, "false_alarm", item.urgency or "", by)
        tx.audit.record(by, "false-alarm", f"alert:{alert_id}", post=item.post_id)
    return f"alert {alert_id} marked a false alarm: resolved, and post {item.post_id} kept for the next training"


def correct(
    store: Store, who: Principal, post_id: int, kind: str, value: str = "", *, topics: Sequence[str] = ()
) -> str:
    """Store a correction of a post's labels (a labelled example for the next `earshot train`)."""
    if not who.can_act:
        raise Forbidden(f"{who.name} is a viewer and cannot correct labels")
    if kind == "false_alarm":
        raise BadRequest("a false alarm is marked on its alert: POST /alerts/<id>/false-alarm")
    if kind not in CORRECTION_KINDS:
        raise BadRequest(f"unknown correction {kind[:40]!r}; the kinds are {', '.join(CORRECTION_KINDS)}")
    value = value.strip()
    if kind == "topic" and value not in topics:
        raise BadRequest(f"no topic {value[:64]!r}; the topics are {', '.join(topics)}")
    if kind == "urgency" and value not in URGENCY_ORDER:
        raise BadRequest(f"no urgency {value[:64]!r}; the urgencies are {', '.join(URGENCY_ORDER)}")
    with store.transaction() as tx:
        if tx.labels.correct(post_id, kind, value if kind != "not_complaint" else "", who.name) is None:
            raise NotFound(f"no post {post_id}")
        tx.audit.record(who.name, "correct", f"post:{post_id}", kind=kind, value=value)
    return f"correction stored for post {post_id}"


def _audit(store: Store, who: Principal, action: str, alert_id: int, **detail: object) -> None:
    with store.transaction(now=utcnow()) as tx:
        tx.audit.record(who.name, action, f"alert:{alert_id}", **detail)


def give_feedback(feed: Feed, user: Principal, post_id: int, answer_id: int, *, helpful: bool) -> str:
    """Keep a person's verdict on a suggestion (and audit it); NotFound if it was never suggested for the post."""
    if not user.can_act:
        raise Forbidden("viewers cannot give feedback on answers")
    verdict = "helpful" if helpful else "not relevant"
    with feed.store.transaction() as tx:
        if not tx.suggestions.record_feedback(answer_id, post_id, user.name, helpful=helpful):
            raise NotFound(f"answer {answer_id} was not suggested for post {post_id}")
        tx.audit.record(user.name, "answer-feedback", f"post:{post_id}", answer=answer_id, verdict=verdict)
    return f"answer #{answer_id} marked {verdict} for post {post_id}"


def gaps_of(feed: Feed, days: float) -> list[Gap]:
    with feed.store.transaction() as tx:
        return find_gaps(
            tx.suggestions.acted_complaints(tx.now - timedelta(days=days), tx.now),
            tx.answers.active(),
            similarity=feed.context.gap_similarity,
            answer_threshold=feed.context.answer_threshold,
        )
