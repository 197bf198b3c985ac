"""Sessions that end (logout, a new password), API tokens listed and revoked, the key outside the database,
and the digests the short form links to."""

from __future__ import annotations

import logging
import re
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from bot.core.errors import ConfigError
from bot.digest import DigestSettings
from bot.digest.service import DigestService
from bot.web.app import create_app
from bot.web.auth import SESSION_COOKIE, new_api_token
from bot.web.keys import session_key
from tests.conftest import NOW
from tests.unit.digest_support import END, START, fill
from tests.unit.web_support import CONTEXT, PASSWORD, Feed, feed_fixture  # noqa: F401


def _token(feed: Feed, name: str, label: str = "bot") -> tuple[str, int]:
    token, digest = new_api_token()
    with feed.store.transaction() as tx:
        return token, tx.access.add_token(tx.users.get(name).id, label, digest)  # type: ignore[union-attr]


def _bearer(feed: Feed, token: str) -> int:
    return feed.client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


# --- sessions -----------------------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_works(feed: Feed) -> None:
    rory = feed.login("rory")
    saved = rory.cookies[SESSION_COOKIE]
    replay = feed.client()
    replay.cookies.set(SESSION_COOKIE, saved)
    assert replay.get("/api/me").json()["name"] == "rory"  # the copy works while the session lasts
    assert rory.post("/logout", data={"csrf_token": rory.csrf}).status_code == 303  # type: ignore[attr-defined]
    assert replay.get("/api/me").status_code == 401
    assert replay.get("/").status_code == 303


def test_logout_ends_only_that_session(feed: Feed) -> None:
    laptop, phone = feed.login("rory"), feed.login("rory")
    laptop.post("/logout", data={"csrf_token": laptop.csrf})  # type: ignore[attr-defined]
    assert phone.get("/api/me").json()["name"] == "rory"


def test_a_session_outlives_neither_its_hours_nor_a_restart_with_another_key(feed: Feed) -> None:
    rory = feed.login("rory")
    assert rory.get("/api/me").status_code == 200
    with feed.store.transaction() as tx:  # as if the login were 13 hours old: the row has expired
        tx.session.execute(sqlalchemy.text("UPDATE web_session SET expires_at = :at"), {"at": NOW - timedelta(hours=1)})
    assert rory.get("/api/me").status_code == 401
    key = "k" * 40
    first = TestClient(create_app(feed.store, context=CONTEXT, secret_key=key), follow_redirects=False)
    form = first.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    first.post("/login", data={"username": "vera", "password": PASSWORD, "csrf_token": csrf})
    same_key = TestClient(create_app(feed.store, context=CONTEXT, secret_key=key), cookies=first.cookies)
    assert same_key.get("/api/me").json()["name"] == "vera"  # a restart, or a second daemon with the same key
    other_key = TestClient(create_app(feed.store, context=CONTEXT, secret_key="x" * 40), cookies=first.cookies)
    assert other_key.get("/api/me").status_code == 401


# --- tokens -------------------------------------------------------------------------------


def test_a_password_reset_ends_the_users_api_tokens(feed: Feed) -> None:
    token, _ = _token(feed, "rory")
    other, _ = _token(feed, "vera")
    assert _bearer(feed, token) == 200
    with feed.store.transaction() as tx:
        tx.users.set_password("rory", "new hash")
    assert _bearer(feed, token) == 401
    assert _bearer(feed, other) == 200


def test_a_disabled_users_tokens_end_for_good(feed: Feed) -> None:
    token, _ = _token(feed, "rory")
    with feed.store.transaction() as tx:
        tx.users.set_disabled("rory", True)
        tx.users.set_disabled("rory", False)
        assert tx.access.tokens(tx.users.get("rory").id) == []  # type: ignore[union-attr]
    assert _bearer(feed, token) == 401


def test_a_user_lists_and_revokes_their_own_tokens_on_the_account_page(feed: Feed) -> None:
    rory = feed.login("rory")
    page = rory.post("/account/tokens", data={"csrf_token": rory.csrf, "label": "slack <bot>"}).text  # type: ignore[attr-defined]
    token = re.search(r'class="token">(esk_[^<]+)<', page).group(1)  # type: ignore[union-attr]
    listed = rory.get("/account").text
    assert "slack &lt;bot&gt;" in listed and "never" in listed and token not in listed
    _bearer(feed, token)
    assert "just now" in rory.get("/account").text  # its last use
    token_id = int(re.search(r'action="/tokens/(\d+)/revoke"', listed).group(1))  # type: ignore[union-attr]
    forged = rory.post(f"/tokens/{token_id}/revoke", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and _bearer(feed, token) == 200
    done = rory.post(f"/tokens/{token_id}/revoke", data={"csrf_token": rory.csrf, "next": "/account"})  # type: ignore[attr-defined]
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert _bearer(feed, token) == 401 and "No API tokens." in rory.get("/account").text
    with feed.store.transaction() as tx:
        assert [a.action for a in tx.audit.log(target="user:rory")][:2] == ["token-revoke", "token"]


def test_only_the_owner_or_an_admin_revokes_a_token(feed: Feed) -> None:
    token, token_id = _token(feed, "rory", "pager")
    vera = feed.login("vera")
    assert vera.get("/tokens").status_code == 403
    assert vera.post(f"/tokens/{token_id}/revoke", data={"csrf_token": vera.csrf}).status_code == 404  # type: ignore[attr-defined]
    assert vera.get("/api/tokens").json() == []  # a user's list is their own
    assert _bearer(feed, token) == 200
    ada = feed.login("ada")
    everyone = ada.get("/tokens").text
    assert "<td>rory</td><td>pager</td>" in everyone
    assert [t["user"] for t in ada.get("/api/tokens").json()] == ["rory"]
    gone = ada.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": ada.csrf})  # type: ignore[attr-defined]
    assert gone.status_code == 200 and gone.json()["label"] == "pager"
    assert _bearer(feed, token) == 401
    assert ada.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": ada.csrf}).status_code == 404  # type: ignore[attr-defined]


def test_a_token_revokes_itself_through_the_api(feed: Feed) -> None:
    token, token_id = _token(feed, "rory")
    client = feed.client()
    answer = client.delete(f"/api/tokens/{token_id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and _bearer(feed, token) == 401


# --- the session key ----------------------------------------------------------------------


def test_the_session_key_is_kept_out_of_the_database(feed: Feed, tmp_path: Path) -> None:
    key = session_key(tmp_path / "earshot.key")
    feed.login("rory")
    with feed.store.transaction() as tx:
        tables = sqlalchemy.inspect(tx.session.get_bind()).get_table_names()
        assert "web_secret" not in tables
        for table in tables:
            for row in tx.session.execute(sqlalchemy.text(f'SELECT * FROM "{table}"')).all():
                assert key not in repr(row), table


def test_a_key_file_is_made_once_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("EARSHOT_SECRET_KEY", raising=False)
    path = tmp_path / "state" / "earshot.key"
    with caplog.at_level(logging.WARNING, logger="bot.web.keys"):
        made = session_key(path)
    assert len(made) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in caplog.text and "made a new session key" in caplog.text
    caplog.clear()
    assert session_key(path) == made and caplog.text == ""  # read, not made again
    assert list(path.parent.iterdir()) == [path]  # nothing half-written left beside it


def test_the_environment_key_comes_first_and_a_short_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARSHOT_SECRET_KEY", "e" * 40)
    assert session_key(tmp_path / "never.key") == "e" * 40 and not (tmp_path / "never.key").exists()
    monkeypatch.setenv("EARSHOT_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="EARSHOT_SECRET_KEY: the session key must have at least 32 characters"):
        session_key(tmp_path / "never.key")


def test_a_key_file_that_cannot_be_made_is_one_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARSHOT_SECRET_KEY", raising=False)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(
        ConfigError, match=r"web.secret_key_file: cannot (read|create) .*file/earshot.key.*; set EARSHOT_SECRET_KEY"
    ):
        session_key(tmp_path / "file" / "earshot.key")


# --- digests ------------------------------------------------------------------------------


def _digest(feed: Feed, html: str) -> int:
    with feed.store.transaction() as tx:
        digest_id = tx.digests.claim("daily", NOW - timedelta(days=1), NOW, lease_until=NOW)
        assert digest_id is not None
        tx.digests.keep(digest_id, subject="Daily digest", text="t", html=html, summary={}, status="kept")
    return digest_id


def test_the_digest_link_opens_the_stored_digest_for_a_logged_in_user(feed: Feed) -> None:
    html = '<!DOCTYPE html><html><body style="margin:0"><h1>Recall costs</h1><script>alert(1)</script></body></html>'
    digest_id = _digest(feed, html)
    anonymous = feed.client().get(f"/digests/{digest_id}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    vera = feed.login("vera")
    page = vera.get(f"/digests/{digest_id}")
    assert page.status_code == 200 and page.text == html
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    assert "sandbox" in policy and page.headers["x-frame-options"] == "DENY"
    assert f'<a href="/digests/{digest_id}">Daily digest</a>' in vera.get("/digests").text
    assert vera.get("/digests/9999").status_code == 404


def test_processes_starting_together_make_one_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARSHOT_SECRET_KEY", raising=False)
    path, found = tmp_path / "earshot.key", []
    threads = [threading.Thread(target=lambda: found.append(session_key(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(found) == 8 and len(set(found)) == 1 and path.read_text().strip() == found[0]


def test_a_digest_built_by_the_service_reads_the_same_in_the_feed(feed: Feed) -> None:
    fill(feed.store)
    service = DigestService(
        feed.store,
        DigestSettings(),
        brand="Aurora Motors",
        own_handles=("AuroraMotors", "AuroraSupport"),
        feed_base_url="http://feed.example",
        channels=[],
        clock=lambda: END,
    )
    outcome = service.run(START, END)
    page = feed.login("vera").get(f"/digests/{outcome.digest_id}")  # the path the short form links to
    assert page.status_code == 200 and page.text == outcome.built.html_file
    assert "battery recall" in page.text and 'src="data:image/png;base64,' in page.text  # charts: allowed by img-src


def test_upgrading_removes_the_key_an_older_version_kept_in_the_database(store_url: str) -> None:
    from bot.store import Store
    from bot.store.engine import make_engine
    from bot.store.migrate import upgrade

    url = store_url
    engine = make_engine(url)
    upgrade(engine, "0005_alert_reply")
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("INSERT INTO web_secret (name, value) VALUES ('session', 'old key')"))
    engine.dispose()
    store = Store.open(url)
    with store.transaction() as tx:
        assert "web_secret" not in sqlalchemy.inspect(tx.session.get_bind()).get_table_names()
    store.engine.dispose()


def test_check_config_says_when_run_could_not_have_a_session_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app
    from tests.conftest import REPO

    (tmp_path / "file").write_text("not a folder")
    config = REPO.joinpath("config.yaml").read_text(encoding="utf-8")
    config = config.replace("secret_key_file: data/earshot.key", f"secret_key_file: {tmp_path / 'file' / 'k'}")
    (tmp_path / "config.yaml").write_text(config.replace("path: data/demo", f"path: {REPO / 'data' / 'demo'}"))
    monkeypatch.setenv("EARSHOT_DATABASE_URL", f"sqlite:///{tmp_path / 'e.db'}")
    monkeypatch.delenv("EARSHOT_SECRET_KEY", raising=False)
    result = CliRunner().invoke(app, ["check-config", str(tmp_path / "config.yaml")])
    assert result.exit_code == 2 and "web.secret_key_file: cannot create" in result.output
    monkeypatch.setenv("EARSHOT_SECRET_KEY", "s" * 40)
    result = CliRunner().invoke(app, ["check-config", str(tmp_path / "config.yaml")])
    assert result.exit_code == 0 and '"session key": "EARSHOT_SECRET_KEY"' in result.output
