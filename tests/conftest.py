"""Shared fixtures: stores on SQLite and on the real PostgreSQL server when one answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings

from bot.core.posts import Engagement, Post
from bot.store import Store

REPO = Path(__file__).resolve().parents[1]
# `earshot run` started by tests serves the feed on any free port, never on a fixed one.
os.environ.setdefault("EARSHOT_WEB_PORT", "0")
PG_ADMIN_URL = os.environ.get("EARSHOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers on 127.0.0.1:5432, else why not."""
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as err:  # noqa: BLE001 - any failure means "no server to test against"
        return f"no PostgreSQL server answers at {PG_ADMIN_URL}: {str(err).splitlines()[0]}"
    return None


_PG_SKIP = _postgres_reason()

# Tiers (docs/testing.md): `make test-fast` leaves out what is marked slow; `make test` runs everything.
# A test that loads the shipped model, starts processes or drives a browser is slow by what it does.
SLOW_BY_KIND = ("model", "process", "browser")

# Hypothesis: the whole suite draws every example a test asks for; `HYPOTHESIS_PROFILE=dev` caps them.
settings.register_profile("full", deadline=None)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "full"))


def examples(wanted: int) -> int:
    """How many examples a property test draws: all it asks for, or the dev profile's cap."""
    return min(wanted, settings.default.max_examples) if settings.get_current_profile_name() == "dev" else wanted


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every model, process and browser test slow too, so one `-m "not slow"` leaves them all out."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_BY_KIND):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[object]:
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import sqlalchemy

    engine = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: object) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import sqlalchemy

    name = f"earshot_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with postgres_admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend the store must work on."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'earshot.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'earshot.db'}")
    yield opened
    opened.engine.dispose()


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_post(
    native_id: str = "1",
    *,
    source: str = "x",
    text: str = "my car is broken @AuroraMotors",
    created_at: datetime = NOW,
    fetched_at: datetime | None = None,
    likes: int = 0,
    reposts: int = 0,
    reach: int | None = 100,
    **extra: object,
) -> Post:
    """A valid Post with sensible defaults, for tests."""
    return Post(
        source=source,
        native_id=native_id,
        author_handle="someone",
        author_reach=reach,  # type: ignore[arg-type]
        text=text,
        url=f"https://x.com/someone/status/{native_id}",
        created_at=created_at,
        fetched_at=fetched_at or created_at + timedelta(minutes=1),
        engagement=Engagement(likes=likes, reposts=reposts),
        raw={"id": native_id},
        **extra,
    )  # type: ignore[arg-type]


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                found.append(int(status.parent.name))
        except OSError:  # ended meanwhile
            continue
    return found


def process_running(pid: int) -> bool:
    """Whether `pid` runs (a zombie has ended; only its exit status waits to be read)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
