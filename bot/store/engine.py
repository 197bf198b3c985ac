"""The store's edge: database URLs checked, engines made (SQLite pragmas, PostgreSQL timeouts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import create_engine

from bot.core.errors import StoreError


def check_url(url: str) -> None:
    """StoreError unless `url` is a database URL Earshot can use; connects to nothing, creates nothing."""
    try:
        make_url(url).get_dialect()
    except (ArgumentError, ImportError, ValueError) as err:
        raise StoreError(
            f"not a database URL: {masked(url)!r} (expected e.g. sqlite:///data/earshot.db "
            "or postgresql+psycopg://user@host/earshot)"
        ) from err


def masked(url: str) -> str:
    """The URL without what comes before '@' in it (which may hold a password)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}" if sep and "@" in rest else url


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite with WAL and foreign keys (its folder made), else pre-pinged with a timeout."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=_pg_connect_args(url))


def _pg_connect_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 5} if url.startswith("postgresql") else {}


def first_line(err: BaseException) -> str:
    """The first line of an error's message (driver errors carry the SQL on later lines).

    SQLAlchemy puts a line of its own before an error raised during autoflush; that line
    says where, not what, so the driver's line after it is the one returned.
    """
    lines = [line for line in str(err).strip().splitlines() if not line.startswith("(raised as a result of")]
    return lines[0] if lines else type(err).__name__
