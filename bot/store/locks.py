"""Locks between processes: one daemon per SQLite file, advisory locks and LISTEN/NOTIFY on PostgreSQL."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from bot.core.errors import DatabaseUnavailable, StoreError
from bot.store.engine import first_line

log = logging.getLogger(__name__)
MIGRATION_LOCK = "earshot:migrations"
_HELD: dict[Path, IO[str]] = {}  # SQLite files whose daemon lock this process holds


def lock_key(name: str) -> int:
    """A stable 32-bit advisory lock key for a name."""
    return zlib.crc32(name.encode("utf-8"))


def sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for PostgreSQL or an in-memory database)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(str(engine.url.database)).resolve()


def hold_daemon_lock(engine: Engine) -> IO[str] | None:
    """Refuse a second daemon on one SQLite file: an exclusive lock on `<file>.lock`, held while the
    process lives (the OS drops it when the process dies). PostgreSQL shares work instead: None."""
    path = sqlite_path(engine)
    if path is None:
        return None
    if path in _HELD:  # this process holds it already (a second pipeline here is not a second daemon)
        return _HELD[path]
    handle = open(path.with_name(path.name + ".lock"), "a+", encoding="utf-8")  # noqa: SIM115 - held for life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreError(
            f"another earshot daemon (pid {holder}) is already running on {path}: "
            "one daemon per SQLite file (use PostgreSQL to run several)"
        ) from err
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    _HELD[path] = handle
    return handle


def lock_migrations(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock (held until `connection`'s transaction ends)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(MIGRATION_LOCK)})


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Try the advisory lock `name` for the length of the block: True if this process holds it.

    On PostgreSQL it is a session lock on a connection kept for the block, so it drops if the
    process dies; on SQLite (one daemon per file) it is always True.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    connection: Connection | None = None
    key = lock_key(name)
    try:
        connection = engine.connect()
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
    except DBAPIError as err:
        _drop(connection)
        raise DatabaseUnavailable(f"the database failed: {first_line(err)}") from err
    try:
        yield got
    finally:
        try:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
            connection.close()
        except DBAPIError:
            _drop(connection)  # the lock went with the lost connection


def _drop(connection: Connection | None) -> None:
    """Discard a broken connection instead of returning it to the pool (no reset traceback)."""
    if connection is not None:
        connection.invalidate()
        connection.close()


def notify(engine: Engine, channel: str) -> None:
    """NOTIFY `channel` on PostgreSQL, in a transaction of its own; nothing on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})
    except DBAPIError as err:
        raise DatabaseUnavailable(f"the database failed: {first_line(err)}") from err


def listen(engine: Engine, channels: Collection[str], on_notify: Callable[[str], Any], stop: threading.Event) -> None:
    """Call `on_notify(channel)` for every PostgreSQL NOTIFY on `channels` until `stop` is set.

    Reconnects after a lost connection; returns at once on SQLite (stages wake in-process there).
    """
    if engine.dialect.name != "postgresql":
        return
    failing = False
    while not stop.is_set():
        raw: Any = None
        try:
            raw = engine.raw_connection()
            driver: Any = raw.driver_connection
            driver.autocommit = True
            for channel in channels:
                driver.execute(f'LISTEN "{channel}"')
            if failing:
                log.info("listening for wake-ups again")
                failing = False
            while not stop.is_set():
                for notice in driver.notifies(timeout=1.0):
                    on_notify(notice.channel)
        except Exception as err:  # noqa: BLE001 - the interval still runs the stages; try again shortly
            if raw is not None:
                raw.invalidate()  # a broken connection is dropped, not returned to the pool (no reset traceback)
            if not failing:  # once per outage: the database guard says the rest
                log.warning("listening for wake-ups failed: %s", str(err).splitlines()[0] if str(err) else err)
                failing = True
            stop.wait(5.0)
        else:
            raw.close()
