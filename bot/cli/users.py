"""`earshot user add|list|disable|reset-password|tokens|revoke-token`: who may use the feed, and how."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, echo_json, open_store, when
from bot.core.errors import EarshotError
from bot.store import ROLES

user_app = typer.Typer(help="Manage the feed's users (viewer reads, responder acts, admin also manages users).")
MIN_PASSWORD = 8


def _password(password_stdin: bool) -> str:
    """The new password: one line from stdin, or typed twice at a prompt."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise EarshotError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


StdinOption = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")]


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = "responder",
    password_stdin: StdinOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Add a user; the password comes from a prompt, or stdin."""
    from bot.web.auth import hash_password

    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise EarshotError("a user name needs 1 to 64 printable characters")
    if role not in ROLES:
        raise EarshotError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
    store = open_store(config)
    password = _password(password_stdin)
    try:
        with store.transaction() as tx:
            tx.users.add(name, role, hash_password(password))
            tx.audit.record("cli", "user-add", f"user:{name}", role=role)
    except ValueError as err:
        raise EarshotError(str(err)) from err
    echo(f"user {name} added ({role})")


@user_app.command("list")
def list_users(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Every user: name, role, and whether they are disabled."""
    with open_store(config).transaction() as tx:
        users = tx.users.all()
    if not users:
        echo("no users; add one with `earshot user add NAME --role responder`")
    for user in users:
        echo(f"{user.name:<24} {user.role:<10} {'disabled' if user.disabled else 'active':<9} {when(user.created_at)}")


@user_app.command("disable")
def disable(name: str, config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Disable a user: they cannot log in, their sessions and API tokens end."""
    with open_store(config).transaction() as tx:
        if tx.users.set_disabled(name, True) is None:
            raise EarshotError(f"no user {name!r}")
        tx.audit.record("cli", "user-disable", f"user:{name}")
    echo(f"user {name} disabled")


@user_app.command("reset-password")
def reset_password(name: str, password_stdin: StdinOption = False, config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Set a new password (prompt or stdin); the user's sessions and API tokens end."""
    from bot.web.auth import hash_password

    store = open_store(config)
    with store.transaction() as tx:
        if tx.users.get(name) is None:
            raise EarshotError(f"no user {name!r}")
    password = _password(password_stdin)
    with store.transaction() as tx:
        tx.users.set_password(name, hash_password(password))
        tx.audit.record("cli", "user-reset-password", f"user:{name}")
    echo(f"password of {name} reset")


@user_app.command("tokens")
def tokens(
    name: Annotated[str, typer.Argument(help="Whose tokens.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """A user's API tokens: id, name, made, last used (never the token itself)."""
    with open_store(config).transaction() as tx:
        user = tx.users.get(name)
        if user is None:
            raise EarshotError(f"no user {name!r}")
        found = tx.access.tokens(user.id)
    if not found and not as_json:
        echo(f"{name} has no API tokens")
    for token in found:
        if as_json:
            echo_json(
                {
                    "id": token.id,
                    "user": token.user,
                    "label": token.label,
                    "created_at": token.created_at,
                    "last_used_at": token.last_used_at,
                }
            )
        else:
            echo(f"{token.id:<6} {token.label:<24} made {when(token.created_at)}  used {when(token.last_used_at)}")


@user_app.command("revoke-token")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (`earshot user tokens NAME`).", min=1)],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Revoke one API token: it stops working at once."""
    with open_store(config).transaction() as tx:
        found = tx.access.revoke_token(token_id)
        if found is None:
            raise EarshotError(f"no token {token_id}")
        tx.audit.record("cli", "token-revoke", f"user:{found.user}", label=found.label, token_id=token_id)
    echo(f"token {token_id} ({found.label}) of {found.user} revoked")
