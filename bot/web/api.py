"""The JSON API: everything the pages do, for scripts and bots (`Authorization: Bearer esk_...`).

Its OpenAPI document is at /api/openapi.json. A logged-in browser sends `X-CSRF-Token` on writes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from bot.web.actions import NotFound, act, correct
from bot.web.app import feed_of, principal
from bot.web.auth import Principal, check_csrf
from bot.web.pages import feed_filter

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
        return [_item(i) for i in tx.feed_items(feed_filter(request, feed))]


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: int, user: User) -> dict[str, Any]:
    """One alert with its post, labels, reasons, incident, notes and audit trail."""
    with feed_of(request).store.transaction() as tx:
        item = tx.feed_item(alert_id)
        if item is None:
            raise NotFound(f"no alert {alert_id}")
        notes = [asdict(n) for n in tx.notes(alert_id)]
        audit = [asdict(a) for a in tx.audit_log(target=f"alert:{alert_id}")]
    return {**_item(item), "notes": notes, "audit": audit}


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
        return [asdict(c) for c in tx.corrections()]


@router.get("/incidents/{incident_id}")
def incident(request: Request, incident_id: int, user: User) -> dict[str, Any]:
    with feed_of(request).store.transaction() as tx:
        found = tx.incident(incident_id)
        if found is None:
            raise NotFound(f"no incident {incident_id}")
        members = [asdict(m) for m in tx.timeline(incident_id)]
    return {**asdict(found), "posts": members}


@router.get("/tickets")
def tickets(request: Request, user: User) -> list[dict[str, Any]]:
    with feed_of(request).store.transaction() as tx:
        now = tx.now
        return [
            {
                **t.model_dump(exclude={"body", "external_refs"}),
                "overdue": t.status != "resolved" and t.first_response_due < now,
            }
            for t in tx.ticket_rows()
        ]


@router.get("/sources")
def sources(request: Request, user: User) -> list[dict[str, Any]]:
    with feed_of(request).store.transaction() as tx:
        return [asdict(s) for s in tx.source_overview()]


@router.get("/review")
def review(request: Request, user: User) -> list[dict[str, Any]]:
    """Posts a head was unsure of (`needs_review`)."""
    keys = ("post_id", "text", "author", "urgency", "complaint_score", "topic")
    with feed_of(request).store.transaction() as tx:
        return [dict(zip(keys, row, strict=True)) for row in tx.review_queue()]


def _item(item: Any) -> dict[str, Any]:
    return {**asdict(item), "status": item.status}
