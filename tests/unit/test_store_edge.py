"""The store's edge: a database failure leaves the store as a StoreError, whatever the driver raised."""

import pytest
from sqlalchemy import text

from bot.core.errors import StoreError
from bot.store import Store, check_url
from bot.store.convert import post_values
from bot.store.tables import PostRow
from tests.conftest import NOW, make_post


@pytest.mark.parametrize("url", ["notaurl", "nosuchdialect://host/db", ""])
def test_a_url_that_is_not_a_database_url_is_a_store_error(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="not a database URL"):
        Store.open(url)
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_check_url_accepts_what_the_store_opens_and_connects_to_nothing():
    check_url("sqlite:///data/earshot.db")
    check_url("postgresql+psycopg://nobody@127.0.0.1:1/x")  # nothing listens there: not asked


def test_a_sqlite_folder_that_cannot_be_made_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot open the database"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'earshot.db'}")


def test_a_failure_inside_a_session_is_a_store_error_and_rolls_back(sqlite_store):
    failing = pytest.raises(StoreError, match="the database failed: .*no such table")
    with failing, sqlite_store.session() as session:
        session.add(PostRow(**post_values(make_post("1"), "ingested", NOW)))
        session.flush()
        session.exec(text("SELECT * FROM no_such_table"))  # type: ignore[call-overload]
    assert sqlite_store.count_posts() == 0
    with pytest.raises(StoreError), sqlite_store.transaction() as tx:
        tx.session.exec(text("SELECT * FROM no_such_table"))  # type: ignore[call-overload]


def test_a_password_never_appears_in_the_error(monkeypatch):
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql+psycopg://earshot:s3cret@127.0.0.1:1/x")
    assert "s3cret" not in str(caught.value)
