"""Admins manage users from the feed too (`/users`), as `earshot user ...` does on the command line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.store import ROLES
from bot.web.actions import BadRequest, NotFound
from bot.web.auth import Forbidden, Principal, hash_password
from bot.web.deps import MAX_FIELD, check_csrf, feed_of, principal, render

router = APIRouter(include_in_schema=False)
MIN_PASSWORD = 8


def admin(user: Annotated[Principal, Depends(principal)]) -> Principal:
    if user.user.role != "admin":
        raise Forbidden(f"{user.name} is not an admin")
    return user


Admin = Annotated[Principal, Depends(admin)]


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin) -> Response:
    with feed_of(request).store.transaction() as tx:
        users = tx.users.all()
    return render(request, "users.html", user, users=users, roles=ROLES)


@router.post("/users")
def add_user(
    request: Request,
    user: Admin,
    csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    name: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    role: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    check_csrf(user, csrf_token)
    name = name.strip()
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise BadRequest("a user name needs 1 to 64 printable characters")
    if role not in ROLES:
        raise BadRequest(f"the roles are {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"the password must have at least {MIN_PASSWORD} characters")
    with feed_of(request).store.transaction() as tx:
        if tx.users.get(name) is not None:
            raise BadRequest(f"user {name!r} already exists")
        tx.users.add(name, role, hash_password(password))
        tx.audit.record(user.name, "user-add", f"user:{name}", role=role)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable")
def disable_user(
    request: Request, name: str, user: Admin, csrf_token: Annotated[str, Form(max_length=MAX_FIELD)] = ""
) -> Response:
    check_csrf(user, csrf_token)
    with feed_of(request).store.transaction() as tx:
        if tx.users.set_disabled(name, True) is None:
            raise NotFound(f"no user {name[:64]!r}")
        tx.audit.record(user.name, "user-disable", f"user:{name[:56]}")
    return RedirectResponse("/users", status_code=303)
