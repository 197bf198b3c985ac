"""The feed's guards, route by route: CSRF on every write, tokens of disabled users, hostile `next` targets."""

from __future__ import annotations

import importlib
import pkgutil
import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import bot.web
from bot.cli.main import app as cli
from bot.web.auth import new_api_token
from tests.conftest import REPO
from tests.unit.web_support import PASSWORD, Feed, _hidden, feed_fixture  # noqa: F401

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FORM = {
    "name": "eve",
    "role": "viewer",
    "password": "long enough",
    "kind": "not_complaint",
    "label": "bot",
    "next": "/",
}
API_BODY = {"kind": "not_complaint", "helpful": True}  # a valid body for every JSON write (correction, feedback)


def _state_changing_routes() -> list[tuple[str, str]]:
    """(method, path template) of every unsafe route of every router in bot.web (found, not listed by hand)."""
    routers = []
    for info in pkgutil.iter_modules(bot.web.__path__):
        module = importlib.import_module(f"bot.web.{info.name}")
        routers += [value for value in vars(module).values() if isinstance(value, APIRouter)]
    found = {
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method in UNSAFE
    }
    return sorted(found)


ROUTES = _state_changing_routes()


def _path(template: str, feed: Feed) -> str:
    """A real target for each path parameter: the alert, its post, the viewer, the ack action."""
    known = {"alert_id": feed.alert_id, "post_id": feed.post_id, "name": "vera", "action": "ack"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(known.get(m.group(1), 1)), template)


def _send(client: TestClient, method: str, path: str, csrf: str | None) -> int:
    """The route's request as the page or a script would send it, with `csrf` (or none) as its token."""
    if path.startswith("/api/"):
        headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
        return client.request(method, path, json=API_BODY, headers=headers).status_code
    form = {**FORM, **({"csrf_token": csrf} if csrf is not None else {})}
    if path == "/login":
        form = {**form, "username": "ada", "password": PASSWORD}
    return client.request(method, path, data=form).status_code


def test_the_csrf_check_covers_every_form_and_api_write() -> None:
    assert len(ROUTES) >= 8
    for expected in [
        ("POST", "/users"),
        ("POST", "/users/{name}/disable"),
        ("POST", "/api/alerts/{alert_id}/{action}"),
        ("POST", "/alerts/{alert_id}/{action}"),
        ("POST", "/account/tokens"),
        ("POST", "/login"),
    ]:
        assert expected in ROUTES


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_write_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    feed: Feed, method: str, template: str
) -> None:
    path = _path(template, feed)
    if path == "/login":
        client = feed.client()
        right = _hidden(client.get("/login").text, "csrf_token")
    else:
        client = feed.login("ada")  # an admin: the role never stands in the way
        right = client.csrf  # type: ignore[attr-defined]
    with feed.store.transaction() as tx:
        before = len(tx.audit.log(limit=1000))
    assert _send(client, method, path, None) == 403, "no token"
    assert _send(client, method, path, "forged-" + right[:8]) == 403, "a wrong token"
    assert _send(client, method, path, "") == 403, "an empty token"
    with feed.store.transaction() as tx:
        assert len(tx.audit.log(limit=1000)) == before
        assert tx.users.get("eve") is None and tx.feed.item(feed.alert_id).acked_at is None  # type: ignore[union-attr]
    assert _send(client, method, path, right) != 403, "the right token is let through"


# --- API tokens ---------------------------------------------------------------------------


def _cli(feed: Feed, monkeypatch: pytest.MonkeyPatch, *args: str, password: str = "") -> None:
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(feed.store.engine.url))
    result = CliRunner().invoke(cli, ["user", *args, "--config", str(REPO / "config.yaml")], input=password + "\n")
    assert result.exit_code == 0, result.output


def _disable_in_the_feed(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    ada = feed.login("ada")
    assert ada.post("/users/rory/disable", data={"csrf_token": ada.csrf}).status_code == 303  # type: ignore[attr-defined]


def _disable_on_the_command_line(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli(feed, monkeypatch, "disable", "rory")


def _reset_the_password(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli(feed, monkeypatch, "reset-password", "rory", "--password-stdin", password="a brand new password")


@pytest.mark.parametrize(
    "change",
    [
        _disable_in_the_feed,
        _disable_on_the_command_line,
        _reset_the_password,
    ],
    ids=["disabled in the feed", "disabled with earshot user disable", "password reset"],
)
def test_an_api_token_stops_working_when_its_user_is_disabled_or_reset(
    feed: Feed, monkeypatch: pytest.MonkeyPatch, change: object
) -> None:
    token, digest = new_api_token()
    with feed.store.transaction() as tx:
        tx.access.add_token(tx.users.get("rory").id, "bot", digest)  # type: ignore[union-attr]
    bearer = {"Authorization": f"Bearer {token}"}
    client = feed.client()
    assert client.get("/api/me", headers=bearer).status_code == 200
    change(feed, monkeypatch)  # type: ignore[operator]
    assert client.get("/api/me", headers=bearer).status_code == 401
    assert client.post(f"/api/alerts/{feed.alert_id}/ack", headers=bearer).status_code == 401
    assert client.get("/api/alerts").status_code == 401
    with feed.store.transaction() as tx:
        assert tx.feed.item(feed.alert_id).acked_at is None  # type: ignore[union-attr]


# --- where a redirect may go ---------------------------------------------------------------

SITE = "http://feed.example/"
HOSTILE = [
    "//evil.example",
    "//evil.example/alerts",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "http://evil.example/",
    "HTTPS://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "//evil.example@feed.example",
    "@evil.example",
    "evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    " //evil.example",
    "\t//evil.example",
    "\r\n//evil.example",
    "/\t/evil.example",
    "/\r/evil.example",
    "/\n/evil.example",
    "\x00//evil.example",
    "\u3000//evil.example",
    "//evil.example%2F..",
    "/.//evil.example",
    "",
]


def _where_a_browser_goes(location: str) -> tuple[str, str]:
    """(scheme, host) a browser lands on for `location` from a feed page (WHATWG: drops tabs and
    newlines, trims C0 controls and spaces, reads a backslash as a slash)."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(33))))).replace("\\", "/")
    parts = urlsplit(urljoin(SITE, cleaned))
    return parts.scheme.lower(), parts.netloc.lower()


def _login_to(client: TestClient, target: str) -> str:
    """Where the login form sends rory after a right password, when the page was opened with `next=target`."""
    page = client.get("/login", params={"next": target})
    assert page.status_code == 200
    answer = client.post(
        "/login",
        data={"username": "rory", "password": PASSWORD, "csrf_token": _hidden(page.text, "csrf_token"), "next": target},
    )
    assert answer.status_code == 303, target
    return answer.headers["location"]


def _home_if_it_leaves(target: str, location: str) -> None:
    """The redirect stays on the site; a target that would leave it, followed as written, is refused (home)."""
    assert _where_a_browser_goes(location) == ("http", "feed.example"), (target, location)
    if _where_a_browser_goes(target) != ("http", "feed.example"):
        assert location == "/", (target, location)


def test_login_never_redirects_off_the_site(feed: Feed) -> None:
    client = feed.client()
    for target in HOSTILE:
        _home_if_it_leaves(target, _login_to(client, target))


def test_an_action_never_redirects_off_the_site(feed: Feed) -> None:
    rory = feed.login("rory")
    for target in HOSTILE:
        answer = rory.post(f"/alerts/{feed.alert_id}/claim", data={"csrf_token": rory.csrf, "next": target})  # type: ignore[attr-defined]
        assert answer.status_code == 303, target
        _home_if_it_leaves(target, answer.headers["location"])


def test_a_same_site_path_is_where_login_returns(feed: Feed) -> None:
    client = feed.client()
    for target in ["/", "/alerts/1", "/?tier=on-call&status=open", "/incidents/2#timeline"]:
        assert _login_to(client, target) == target
