"""Helpers for the feed tests: a store with users and an alert, and clients logged in as each role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bot.store import Store
from bot.web.app import FeedContext, create_app
from bot.web.auth import hash_password
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, settings

PASSWORD = "correct horse battery"
KEY = "the feed tests' session key, 32+ characters long"  # every client's app signs alike, as daemons sharing a key
CONTEXT = FeedContext(
    topics=("safety", "billing and charges"), tiers=("support", "on-call", "executive"), sources=("x", "reddit")
)


@dataclass
class Feed:
    store: Store
    desk: Desk
    alert_id: int
    post_id: int

    def client(self) -> TestClient:
        return TestClient(create_app(self.store, context=CONTEXT, secret_key=KEY), follow_redirects=False)

    def login(self, name: str) -> TestClient:
        """A client with a session for `name` (its CSRF token on `client.csrf`)."""
        client = self.client()
        page = client.get("/login")
        csrf = _hidden(page.text, "csrf_token")
        answer = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf, "next": "/"})
        assert answer.status_code == 303, answer.text
        client.csrf = client.get("/api/me").json()["csrf"]  # type: ignore[attr-defined]
        return client


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


@pytest.fixture(name="feed")
def feed_fixture(sqlite_store: Store) -> Iterator[Feed]:
    """A store with one post, one unacknowledged alert on it, and a viewer, a responder and an admin."""
    sqlite_store.save_batch("x", [make_post("1", text="My car caught fire while charging")], None)
    desk = Desk(sqlite_store, settings(), Clock(NOON))
    alert_id = desk.raise_alert("k1", "on-call", "My car caught fire while charging")
    with sqlite_store.transaction() as tx:
        for name, role in (("vera", "viewer"), ("rory", "responder"), ("ada", "admin")):
            tx.users.add(name, role, hash_password(PASSWORD))
    yield Feed(store=sqlite_store, desk=desk, alert_id=alert_id, post_id=1)
