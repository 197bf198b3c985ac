"""The feed's HTML pages: login, the live feed, alert and incident detail, tickets, sources, review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.core.labels import URGENCY_ORDER
from bot.store import FEED_STATUSES, FeedFilter, off_brand_by_connector
from bot.web.actions import NotFound, act, correct
from bot.web.auth import LOGIN_COOKIE, SESSION_COOKIE, verify_password
from bot.web.charts import incident_chart
from bot.web.deps import MAX_FIELD, Feed, User, check_csrf, feed_filter, feed_of, render, safe_next

router = APIRouter(include_in_schema=False)


# --- login ----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, next, "", 200)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    feed = feed_of(request)
    address = request.client.host if request.client else "?"  # a trusted proxy's client (bot.web.security)
    if not feed.sessions.login_csrf_ok(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return _login_form(request, next, "The form expired; please try again.", 403)
    wait = feed.throttle.wait_seconds(username, address)
    if wait:
        response = _login_form(request, next, f"Too many failed attempts; try again in {wait} s.", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    with feed.store.transaction() as tx:
        user = tx.users.get(username)
    if user is None or not verify_password(user, password):
        feed.throttle.failed(username, address)
        return _login_form(request, next, "Wrong username or password.", 401)
    feed.throttle.succeeded(username, address)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        feed.sessions.issue(feed.store, user),
        max_age=feed.sessions.max_age,
        httponly=True,
        samesite="lax",
        secure=_tls(request),
    )
    response.delete_cookie(LOGIN_COOKIE)
    with feed.store.transaction() as tx:
        tx.audit.record(user.name, "login", f"user:{user.name}", address=address)
    return response


@router.post("/logout")
def logout(request: Request, user: User, csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = "") -> Response:
    """Ends the session in the store, so the cookie is worthless even where it was copied."""
    check_csrf(user, csrf_token)
    feed = feed_of(request)
    feed.sessions.end(feed.store, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _login_form(request: Request, next: str, error: str, status: int) -> Response:
    feed = feed_of(request)
    cookie, csrf = feed.sessions.login_token(request.cookies.get(LOGIN_COOKIE))
    response = render(request, "login.html", None, status, csrf=csrf, next=safe_next(next), error=error)
    response.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, httponly=True, samesite="lax", secure=_tls(request))
    return response


def _tls(request: Request) -> bool:
    """Served over https (a trusted proxy's X-Forwarded-Proto counts; bot.web.security)."""
    return request.url.scheme == "https"


# --- the feed ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def feed_page(request: Request, user: User) -> Response:
    feed = feed_of(request)
    chosen = feed_filter(request, feed)
    return render(
        request, "feed.html", user, f=chosen, ctx=feed.context, statuses=FEED_STATUSES, **_items(feed, chosen)
    )


@router.get("/feed/list", response_class=HTMLResponse)
def feed_list(request: Request, user: User) -> Response:
    feed = feed_of(request)
    return render(request, "_alerts.html", user, **_items(feed, feed_filter(request, feed)))


def _items(feed: Feed, chosen: FeedFilter) -> dict[str, Any]:
    with feed.store.transaction() as tx:
        items = tx.feed.items(chosen)
        trends = tx.feed.trends([i.post_id for i in items if i.post_id is not None])
        users = [u.name for u in tx.users.all() if not u.disabled]
    return {"items": items, "trends": trends, "users": users}


@router.get("/alerts")
def all_alerts(request: Request, user: User) -> Response:
    """Where alert summaries link ("All alerts"): the feed."""
    return RedirectResponse("/" + (f"?{request.url.query}" if request.url.query else ""), status_code=303)


@router.get("/alerts/{ref}", response_class=HTMLResponse)
def alert_page(request: Request, ref: Annotated[str, Path(max_length=MAX_FIELD)], user: User) -> Response:
    """One alert, by id or by the idempotency key alert messages link with (routing.feed_base_url)."""
    feed = feed_of(request)
    with feed.store.transaction() as tx:
        alert_id = int(ref) if ref.isdigit() and len(ref) < 12 else tx.alerts.for_key(ref)
        item = tx.feed.item(alert_id) if alert_id is not None else None
        if item is None or alert_id is None:
            raise NotFound(f"no alert {ref[:64]}")
        notes = tx.handling.notes(alert_id)
        audit = tx.audit.log(target=f"alert:{alert_id}")
        users = [u.name for u in tx.users.all() if not u.disabled]
        suggestions = tx.suggestions.of(item.post_id) if item.post_id is not None else None
    return render(
        request,
        "alert.html",
        user,
        item=item,
        notes=notes,
        audit=audit,
        users=users,
        suggestions=suggestions,
        ctx=feed.context,
        urgencies=URGENCY_ORDER,
    )


@router.post("/alerts/{alert_id}/{action}")
def alert_action(
    request: Request,
    alert_id: int,
    action: str,
    user: User,
    csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    minutes: Annotated[int, Form(ge=0, le=100000)] = 0,
    to: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    note: Annotated[str, Form(max_length=10000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(user, csrf_token)
    act(feed_of(request).store, user, alert_id, action, minutes=minutes, to=to, note=note)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/posts/{post_id}/correct")
def correct_post(
    request: Request,
    post_id: int,
    user: User,
    csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    kind: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    value: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/corrections",
) -> Response:
    check_csrf(user, csrf_token)
    feed = feed_of(request)
    correct(feed.store, user, post_id, kind, value, topics=feed.context.topics)
    return RedirectResponse(safe_next(next), status_code=303)


# --- the other pages --------------------------------------------------------------------


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: int, user: User) -> Response:
    with feed_of(request).store.transaction() as tx:
        incident = tx.incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        members = tx.incidents.timeline(incident_id)
    return render(request, "incident.html", user, incident=incident, members=members)


@router.get("/incidents/{incident_id}/chart.svg")
def incident_svg(request: Request, incident_id: int, user: User) -> Response:
    with feed_of(request).store.transaction() as tx:
        if tx.incidents.get(incident_id) is None:
            raise NotFound(f"no incident {incident_id}")
        members = tx.incidents.timeline(incident_id)
    return Response(incident_chart(members), media_type="image/svg+xml")


@router.get("/tickets", response_class=HTMLResponse)
def tickets_page(request: Request, user: User) -> Response:
    with feed_of(request).store.transaction() as tx:
        tickets, now = tx.tickets.recent(), tx.now
    return render(request, "tickets.html", user, tickets=tickets, now=now)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, user: User) -> Response:
    with feed_of(request).store.transaction() as tx:
        sources = tx.listings.sources()
        dropped = tx.listings.off_brand(tx.now.replace(hour=0, minute=0, second=0, microsecond=0))
    dropped = off_brand_by_connector(dropped, [s.source for s in sources])
    return render(request, "sources.html", user, sources=sources, dropped=dropped)


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, user: User) -> Response:
    feed = feed_of(request)
    with feed.store.transaction() as tx:
        posts = tx.labels.review_queue()
    return render(request, "review.html", user, posts=posts, ctx=feed.context, urgencies=URGENCY_ORDER)


@router.get("/corrections", response_class=HTMLResponse)
def corrections_page(request: Request, user: User) -> Response:
    with feed_of(request).store.transaction() as tx:
        corrections = tx.labels.corrections()
    return render(request, "corrections.html", user, corrections=corrections)
