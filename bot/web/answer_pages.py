"""The feed's answer pages: a ticket with its suggested answers, feedback on a suggestion, and the gaps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web.actions import NotFound, gaps_of, give_feedback
from bot.web.deps import MAX_FIELD, User, check_csrf, feed_of, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, ticket_id: int, user: User) -> Response:
    """One ticket: its subject, status and post, and the answers suggested for that post."""
    with feed_of(request).store.transaction() as tx:
        ticket = tx.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}")
        suggestions = tx.suggestions.of(ticket.post_id) if ticket.post_id is not None else None
    return render(request, "ticket.html", user, ticket=ticket, suggestions=suggestions, back=f"/tickets/{ticket_id}")


@router.post("/posts/{post_id}/answers/{answer_id}/feedback")
def feedback(
    request: Request,
    post_id: int,
    answer_id: int,
    user: User,
    csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    helpful: Annotated[bool, Form()] = False,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """ "This helped" or "not relevant" on an answer suggested for a post; ranks later suggestions."""
    check_csrf(user, csrf_token)
    give_feedback(feed_of(request), user, post_id, answer_id, helpful=helpful)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/answers/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, user: User, days: Annotated[float, Query(gt=0, le=3650)] = 7) -> Response:
    """The most frequent kinds of complaint of the last days that no known answer covers yet."""
    return render(request, "gaps.html", user, gaps=gaps_of(feed_of(request), days), days=days)
