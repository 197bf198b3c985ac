"""Who may reach what: anonymous, viewer, responder, admin; CSRF, sessions that end, API tokens."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous.timed import TimestampSigner

from bot.web import admin, answer_pages, api, digests, health, live, pages, tokens
from bot.web.auth import SESSION_COOKIE, new_api_token
from tests.unit.web_support import Feed, feed_fixture  # noqa: F401

PUBLIC = {"/login", "/healthz", "/readyz", "/metrics"}


def _routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the feed's routers, ids filled in with 1."""
    found = []
    for route in [
        *admin.router.routes,
        *answer_pages.router.routes,
        *api.router.routes,
        *digests.router.routes,
        *tokens.router.routes,
        *tokens.api_router.routes,
        *health.router.routes,
        *live.router.routes,
        *pages.router.routes,
    ]:
        methods = getattr(route, "methods", None)
        if methods and route.path not in PUBLIC:  # type: ignore[attr-defined]
            path = re.sub(r"\{(alert|incident|post|ticket|answer|token|digest)_id\}|\{name\}", "1", route.path).replace(
                "{action}", "ack"
            )
            found += [(method, path) for method in sorted(methods) if method != "HEAD"]
    return found


def test_every_route_but_login_health_and_metrics_wants_a_login(feed: Feed) -> None:
    client = feed.client()
    routes = _routes()
    assert ("GET", "/") in routes and ("POST", "/api/alerts/1/ack") in routes and ("GET", "/events") in routes
    for method, path in routes:
        answer = client.request(method, path)
        if path.startswith(("/api/", "/events")):
            assert answer.status_code == 401, (method, path, answer.status_code)
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login?next="), (method, path)
    for path in PUBLIC - {"/login"}:
        assert client.get(path).status_code in (200, 503), path
    assert client.get("/nowhere").status_code == 303  # unknown pages too: nothing tells an outsider what exists
    assert client.get("/api/nowhere").status_code == 401


def test_login_page_has_the_labelled_fields_and_a_wrong_password_is_refused(feed: Feed) -> None:
    client = feed.client()
    page = client.get("/login").text
    assert '<label for="username">Username</label>' in page and '<label for="password">Password</label>' in page
    assert ">Log in</button>" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    wrong = client.post("/login", data={"username": "rory", "password": "nope", "csrf_token": csrf})
    assert wrong.status_code == 401 and SESSION_COOKIE not in wrong.cookies
    no_csrf = feed.client().post("/login", data={"username": "rory", "password": "correct horse battery"})
    assert no_csrf.status_code == 403


def test_the_session_cookie_is_httponly_and_samesite_lax(feed: Feed) -> None:
    client = feed.client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "rory", "password": "correct horse battery", "csrf_token": csrf})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie


def test_a_viewer_reads_but_may_not_act(feed: Feed) -> None:
    viewer = feed.login("vera")
    assert viewer.get("/").status_code == 200
    assert viewer.get(f"/api/alerts/{feed.alert_id}").status_code == 200
    assert b"Acknowledge" not in viewer.get("/").content
    for action in ("ack", "claim", "resolve", "snooze", "reassign", "note"):
        api = viewer.post(f"/api/alerts/{feed.alert_id}/{action}", headers={"X-CSRF-Token": viewer.csrf})  # type: ignore[attr-defined]
        assert api.status_code == 403, action
        form = viewer.post(f"/alerts/{feed.alert_id}/{action}", data={"csrf_token": viewer.csrf})  # type: ignore[attr-defined]
        assert form.status_code == 403, action
    correction = viewer.post(
        f"/api/posts/{feed.post_id}/corrections",
        json={"kind": "not_complaint"},
        headers={"X-CSRF-Token": viewer.csrf},  # type: ignore[attr-defined]
    )
    assert correction.status_code == 403
    assert viewer.get("/api/alerts").json()[0]["acked_at"] is None


def test_a_responder_acts_and_csrf_is_required(feed: Feed) -> None:
    rory = feed.login("rory")
    assert rory.post(f"/api/alerts/{feed.alert_id}/claim").status_code == 403  # no CSRF header
    assert rory.post(f"/alerts/{feed.alert_id}/claim", data={"csrf_token": "forged"}).status_code == 403
    done = rory.post(f"/api/alerts/{feed.alert_id}/claim", headers={"X-CSRF-Token": rory.csrf})  # type: ignore[attr-defined]
    assert done.status_code == 200 and done.json()["ok"]
    assert rory.get(f"/api/alerts/{feed.alert_id}").json()["assignee"] == "rory"


def test_a_tampered_or_expired_session_is_a_login_again(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    rory = feed.login("rory")
    good = rory.cookies[SESSION_COOKIE]
    tampered = feed.client()
    tampered.cookies.set(SESSION_COOKIE, good[:-3] + "abc")
    assert tampered.get("/api/me").status_code == 401
    assert tampered.get("/").status_code == 303
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 13 * 3600)
    old = feed.login("rory")  # a session issued 13 hours ago (sessions last 12)
    monkeypatch.undo()
    expired = feed.client()
    expired.cookies.set(SESSION_COOKIE, old.cookies[SESSION_COOKIE])
    assert expired.get("/api/me").status_code == 401


def test_a_password_reset_or_disable_ends_sessions(feed: Feed) -> None:
    rory = feed.login("rory")
    with feed.store.transaction() as tx:
        tx.users.set_password("rory", "other")
    assert rory.get("/api/me").status_code == 401
    vera = feed.login("vera")
    with feed.store.transaction() as tx:
        tx.users.set_disabled("vera", True)
    assert vera.get("/").status_code == 303


def test_an_api_token_acts_with_its_users_role_and_needs_no_csrf(feed: Feed) -> None:
    token, digest = new_api_token()
    viewer_token, viewer_digest = new_api_token()
    with feed.store.transaction() as tx:
        tx.access.add_token(tx.users.get("rory").id, "bot", digest)  # type: ignore[union-attr]
        tx.access.add_token(tx.users.get("vera").id, "bot", viewer_digest)  # type: ignore[union-attr]
    client = feed.client()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "rory"
    ack = client.post(f"/api/alerts/{feed.alert_id}/ack", headers={"Authorization": f"Bearer {token}"})
    assert ack.status_code == 200
    refused = client.post(f"/api/alerts/{feed.alert_id}/claim", headers={"Authorization": f"Bearer {viewer_token}"})
    assert refused.status_code == 403
    assert client.get("/api/me", headers={"Authorization": "Bearer esk_wrong"}).status_code == 401


def test_a_token_made_on_the_account_page_is_shown_once_and_works(feed: Feed) -> None:
    rory = feed.login("rory")
    page = rory.post("/account/tokens", data={"csrf_token": rory.csrf, "label": "slack bot"}).text  # type: ignore[attr-defined]
    token = re.search(r'class="token">(esk_[^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert feed.client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "responder"
    assert token not in rory.get("/account").text


def test_openapi_lists_the_api_for_a_logged_in_user(feed: Feed) -> None:
    assert feed.client().get("/api/openapi.json").status_code == 401
    document = feed.login("vera").get("/api/openapi.json").json()
    assert "/api/alerts/{alert_id}/{action}" in document["paths"] and "/api/alerts" in document["paths"]


def test_only_an_admin_manages_users_in_the_feed(feed: Feed) -> None:
    rory = feed.login("rory")
    assert rory.get("/users").status_code == 403
    refused = rory.post("/users", data={"csrf_token": rory.csrf, "name": "eve", "role": "admin", "password": "x" * 12})  # type: ignore[attr-defined]
    assert refused.status_code == 403
    ada = feed.login("ada")
    add = {"csrf_token": ada.csrf, "name": "<b>eve</b>", "role": "viewer", "password": "long enough"}  # type: ignore[attr-defined]
    assert ada.post("/users", data={**add, "password": "short"}).status_code == 400
    assert ada.post("/users", data=add).status_code == 303
    assert "&lt;b&gt;eve&lt;/b&gt;" in ada.get("/users").text
    assert ada.post("/users/nobody/disable", data={"csrf_token": ada.csrf}).status_code == 404  # type: ignore[attr-defined]
    assert ada.post("/users/rory/disable", data={"csrf_token": ada.csrf}).status_code == 303  # type: ignore[attr-defined]
    assert rory.get("/api/me").status_code == 401
    with feed.store.transaction() as tx:
        assert [(a.actor, a.action) for a in tx.audit.log(target="user:rory")][0] == ("ada", "user-disable")
        assert tx.users.get("<b>eve</b>").role == "viewer"  # type: ignore[union-attr]
