"""`earshot user add|list|disable|reset-password|tokens|revoke-token`: the feed's users from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.store import Store
from bot.web.auth import new_api_token, verify_password
from tests.conftest import REPO

CONFIG = ["--config", str(REPO / "config.yaml")]


@pytest.fixture
def store(migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = migrated_sqlite_url
    monkeypatch.setenv("EARSHOT_DATABASE_URL", url)
    return Store.open(url)


def _run(*args: str, password: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, ["user", *args, *CONFIG], input=password + "\n")
    return result.exit_code, result.output


def test_add_list_disable_and_reset_a_user(store: Store) -> None:
    assert _run("add", "dana", "--role", "responder", password="long enough pass") == (
        0,
        "user dana added (responder)\n",
    )
    with store.transaction() as tx:
        dana = tx.users.get("dana")
    assert dana is not None and dana.role == "responder" and verify_password(dana, "long enough pass")
    assert dana.password_hash.startswith("$argon2")
    code, listed = _run("list")
    assert code == 0 and listed.split()[:3] == ["dana", "responder", "active"]
    assert _run("reset-password", "dana", password="another long one")[0] == 0
    with store.transaction() as tx:
        assert verify_password(tx.users.get("dana"), "another long one")
        assert not verify_password(tx.users.get("dana"), "long enough pass")
    assert _run("disable", "dana") == (0, "user dana disabled\n")
    with store.transaction() as tx:
        assert not verify_password(tx.users.get("dana"), "another long one")
        assert [a.action for a in tx.audit.log(target="user:dana")] == [
            "user-disable",
            "user-reset-password",
            "user-add",
        ]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("add", "dana", "--role", "boss"), "long enough pass", "unknown role 'boss'"),
        (("add", "dana"), "short", "at least 8 characters"),
        (("disable", "ghost"), "", "no user 'ghost'"),
        (("reset-password", "ghost"), "long enough pass", "no user 'ghost'"),
        (("tokens", "ghost"), "", "no user 'ghost'"),
        (("revoke-token", "999"), "", "no token 999"),
    ],
)
def test_bad_user_commands_say_why_in_one_line(
    store: Store, args: tuple[str, ...], password: str, message: str
) -> None:
    code, output = _run(*args, password=password)
    assert code == 1 and message in output and "Traceback" not in output


def test_a_name_is_added_once(store: Store) -> None:
    assert _run("add", "dana", password="long enough pass")[0] == 0
    code, output = _run("add", "dana", password="long enough pass")
    assert code == 1 and "already exists" in output


def _add_token(store: Store, name: str, label: str) -> tuple[str, int]:
    token, digest = new_api_token()
    with store.transaction() as tx:
        return token, tx.access.add_token(tx.users.get(name).id, label, digest)  # type: ignore[union-attr]


def _token_works(store: Store, token: str) -> bool:
    from bot.web.auth import token_hash

    with store.transaction() as tx:
        return tx.users.for_token(token_hash(token)) is not None


def test_tokens_are_listed_and_revoked_from_the_command_line(store: Store) -> None:
    _run("add", "dana", password="long enough pass")
    assert _run("tokens", "dana") == (0, "dana has no API tokens\n")
    token, token_id = _add_token(store, "dana", "pager bot")
    code, listed = _run("tokens", "dana")
    assert code == 0 and listed.split()[:3] == [str(token_id), "pager", "bot"] and token not in listed
    assert _run("revoke-token", str(token_id)) == (0, f"token {token_id} (pager bot) of dana revoked\n")
    assert not _token_works(store, token)
    assert _run("tokens", "dana") == (0, "dana has no API tokens\n")
    with store.transaction() as tx:
        assert tx.audit.log(target="user:dana")[0].action == "token-revoke"


def test_a_password_reset_from_the_command_line_ends_the_users_tokens(store: Store) -> None:
    _run("add", "dana", password="long enough pass")
    token, _ = _add_token(store, "dana", "script")
    assert _token_works(store, token)
    assert _run("reset-password", "dana", password="another long one")[0] == 0
    assert not _token_works(store, token)
