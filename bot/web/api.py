"""The JSON API: everything the pages do, for scripts and bots (`Authorization: Bearer esk_...`).

Its OpenAPI document is at /api/openapi.json. A logged-in browser sends `X-CSRF-Token` on writes.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from bot.core.answers import SAFETY_HEADING, Answer
from bot.delivery.redact import redact
from bot.web.actions import NotFound, act, correct, gaps_of, give_feedback
from bot.web.auth import Principal
from bot.web.deps import check_csrf, feed_filter, feed_of, principal

router = APIRouter(prefix="/api", tags=["feed"])
User = Annotated[Principal, Depends(principal)]
Csrf = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]


class ActionIn(BaseModel):
    """Options of an action: `minutes` for snooze, `to` for reassign, `note` for note."""

    minutes: int = Field(default=0, ge=0, le=100000)
    to: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=10000)


class CorrectionIn(BaseModel):
    """`not_complaint`, or `topic`/`urgency` with the right `value`."""

    kind: str = Field(max_length=32)
    value: str = Field(default="", max_length=200)


class FeedbackIn(BaseModel):
    """`helpful`: true for "this helped", false for "not relevant"."""

    helpful: bool


class Done(BaseModel):
    ok: bool
    message: str


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: User) -> dict[str, Any]:
    return request.app.openapi()


@router.get("/me")
def me(user: User) -> dict[str, Any]:
    """Who the token or session belongs to, and their role."""
    return {"name": user.name, "role": user.user.role, "via": user.via, "csrf": user.csrf}


@router.get("/alerts")
def alerts(
    request: Request,
    user: User,
    tier: Annotated[str, Query(max_length=200)] = "",
    urgency: Annotated[str, Query(max_length=200)] = "",
    topic: Annotated[str, Query(max_length=200)] = "",
    source: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=200)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> list[dict[str, Any]]:
    """The feed, filtered like the page: unacknowledged first, then by urgency and age."""
    feed = feed_of(request)
    with feed.store.transaction() as tx:
        return [_item(i) for i in tx.feed.items(feed_filter(request, feed))]


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: int, user: User) -> dict[str, Any]:
    """One alert with its post, labels, reasons, incident, notes and audit trail."""
    with feed_of(request).store.transaction() as tx:
        item = tx.feed.item(alert_id)
        if item is None:
            raise NotFound(f"no alert {alert_id}")
        notes = [asdict(n) for n in tx.handling.notes(alert_id)]
        audit = [asdict(a) for a in tx.audit.log(target=f"alert:{alert_id}")]
        suggested = asdict(tx.suggestions.of(item.post_id)) if item.post_id is not None else None
    return {**_item(item), "notes": notes, "audit": audit, "suggestions": _suggestions(suggested)}


@router.get("/posts/{post_id}/suggestions")
def suggestions(request: Request, post_id: int, user: User) -> dict[str, Any]:
    """The known answers suggested for a post best first, with why; `heading` names a safety case."""
    with feed_of(request).store.transaction() as tx:
        return _suggestions(asdict(tx.suggestions.of(post_id))) or {}


@router.post("/posts/{post_id}/answers/{answer_id}/feedback")
def answer_feedback(
    request: Request, post_id: int, answer_id: int, body: FeedbackIn, user: User, csrf: Csrf = None
) -> Done:
    """`{"helpful": true}` (this helped) or false (not relevant) on an answer suggested for the post."""
    check_csrf(user, csrf)
    return Done(ok=True, message=give_feedback(feed_of(request), user, post_id, answer_id, helpful=body.helpful))


@router.get("/answers")
def answers(
    request: Request, user: User, q: Annotated[str, Query(max_length=200)] = "", retired: bool = False
) -> list[dict[str, Any]]:
    """Known answers (past public replies and the playbook), newest first; `q` searches them."""
    with feed_of(request).store.transaction() as tx:
        found = tx.answers.search(text=q.strip() or None, include_retired=retired)
    keep = ("vectors", "version")
    return [{k: v for k, v in asdict(a).items() if k not in keep} for a in (_redacted(a) for a in found)]


@router.get("/answers/gaps")
def answer_gaps(request: Request, user: User, days: Annotated[float, Query(gt=0, le=3650)] = 7) -> list[dict[str, Any]]:
    """The most frequent kinds of complaint of the last `days` with no known answer."""
    return [asdict(g) for g in gaps_of(feed_of(request), days)]


@router.post("/alerts/{alert_id}/{action}")
def alert_action(
    request: Request, alert_id: int, action: str, user: User, csrf: Csrf = None, body: ActionIn | None = None
) -> Done:
    """ack | claim | resolve | snooze (minutes) | reassign (to) | note (note) | false-alarm."""
    check_csrf(user, csrf)
    body = body or ActionIn()
    said = act(feed_of(request).store, user, alert_id, action, minutes=body.minutes, to=body.to, note=body.note)
    return Done(ok=True, message=said)


@router.post("/posts/{post_id}/corrections")
def add_correction(request: Request, post_id: int, body: CorrectionIn, user: User, csrf: Csrf = None) -> Done:
    """Correct a post's labels; the next `earshot train` learns from it."""
    check_csrf(user, csrf)
    feed = feed_of(request)
    return Done(ok=True, message=correct(feed.store, user, post_id, body.kind, body.value, topics=feed.context.topics))


@router.get("/corrections")
def corrections(request: Request, user: User) -> list[dict[str, Any]]:
    with feed_of(request).store.transaction() as tx:
        return [asdict(c) for c in tx.labels.corrections()]


@router.get("/incidents/{incident_id}")
def incident(request: Request, incident_id: int, user: User) -> dict[str, Any]:
    with feed_of(request).store.transaction() as tx:
        found = tx.incidents.get(incident_id)
        if found is None:
            raise NotFound(f"no incident {incident_id}")
        members = [asdict(m) for m in tx.incidents.timeline(incident_id)]
    return {**asdict(found), "posts": members}


@router.get("/tickets")
def tickets(request: Request, user: User) -> list[dict[str, Any]]:
    with feed_of(request).store.transaction() as tx:
        now = tx.now
        return [
            {
                **{k: v for k, v in asdict(t).items() if k not in ("body", "external_refs")},
                "overdue": t.status != "resolved" and t.first_response_due < now,
            }
            for t in tx.tickets.recent()
        ]


@router.get("/sources")
def sources(request: Request, user: User) -> list[dict[str, Any]]:
    with feed_of(request).store.transaction() as tx:
        return [asdict(s) for s in tx.listings.sources()]


@router.get("/review")
def review(request: Request, user: User) -> list[dict[str, Any]]:
    """Posts a head was unsure of (`needs_review`)."""
    keys = ("post_id", "text", "author", "urgency", "complaint_score", "topic")
    with feed_of(request).store.transaction() as tx:
        return [dict(zip(keys, row, strict=True)) for row in tx.labels.review_queue()]


def _redacted(answer: Answer) -> Answer:
    """Personal data in a known answer and its complaint masked, as everywhere an answer is shown."""
    return replace(
        answer, text=redact(answer.text), complaint_text=redact(answer.complaint_text), title=redact(answer.title)
    )


def _suggestions(found: dict[str, Any] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {**found, "heading": SAFETY_HEADING if found["safety_case"] else "Answered before"}


def _item(item: Any) -> dict[str, Any]:
    return {**asdict(item), "status": item.status}
