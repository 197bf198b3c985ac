"""API tokens in the feed: each user lists, makes and revokes their own on `/account`; admins see all on `/tokens`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.store import TokenView
from bot.web.actions import NotFound
from bot.web.auth import Forbidden, Principal, new_api_token
from bot.web.deps import MAX_FIELD, check_csrf, feed_of, principal, render, safe_next

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["tokens"])
User = Annotated[Principal, Depends(principal)]
Csrf = Annotated[str, Form(max_length=MAX_FIELD)]


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: User) -> Response:
    return _account(request, user, token="")


@router.post("/account/tokens", response_class=HTMLResponse)
def new_token(
    request: Request, user: User, csrf_token: Csrf = "", label: Annotated[str, Form(max_length=64)] = "script"
) -> Response:
    check_csrf(user, csrf_token)
    if user.via != "session":
        raise Forbidden("API tokens are made from a logged-in page")
    token, digest = new_api_token()
    label = label.strip() or "script"
    with feed_of(request).store.transaction() as tx:
        token_id = tx.access.add_token(user.user.id, label, digest)
        tx.audit.record(user.name, "token", f"user:{user.name}", label=label, token_id=token_id)
    return _account(request, user, token=token)


@router.get("/tokens", response_class=HTMLResponse)
def all_tokens(request: Request, user: User) -> Response:
    """Every user's tokens (admins)."""
    if user.user.role != "admin":
        raise Forbidden(f"{user.name} is not an admin")
    with feed_of(request).store.transaction() as tx:
        tokens = tx.access.tokens()
    return render(request, "tokens.html", user, tokens=tokens)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: int,
    user: User,
    csrf_token: Csrf = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(user, csrf_token)
    revoke(request, user, token_id)
    return RedirectResponse(safe_next(next), status_code=303)


@api_router.get("/tokens")
def list_tokens(request: Request, user: User) -> list[dict[str, Any]]:
    """Your API tokens (an admin's: everyone's); never the tokens themselves."""
    with feed_of(request).store.transaction() as tx:
        tokens = tx.access.tokens(None if user.user.role == "admin" else user.user.id)
    return [_json(t) for t in tokens]


@api_router.delete("/tokens/{token_id}")
def delete_token(
    request: Request,
    token_id: int,
    user: User,
    csrf: Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)] = None,
) -> dict[str, Any]:
    """Revoke a token: yours, or anyone's for an admin. A browser session sends `X-CSRF-Token`."""
    check_csrf(user, csrf)
    return _json(revoke(request, user, token_id))


def revoke(request: Request, user: Principal, token_id: int) -> TokenView:
    """The token's owner or an admin revokes it; anyone else learns nothing about it (404)."""
    with feed_of(request).store.transaction() as tx:
        found = tx.access.token(token_id)
        if found is None or (found.user != user.name and user.user.role != "admin"):
            raise NotFound(f"no token {token_id}")
        tx.access.revoke_token(token_id)
        tx.audit.record(user.name, "token-revoke", f"user:{found.user}", label=found.label, token_id=token_id)
    return found


def _account(request: Request, user: Principal, token: str) -> Response:
    with feed_of(request).store.transaction() as tx:
        tokens = tx.access.tokens(user.user.id)
    return render(request, "account.html", user, token=token, tokens=tokens)


def _json(token: TokenView) -> dict[str, Any]:
    return {
        "id": token.id,
        "user": token.user,
        "label": token.label,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }
