"""Shared fixtures: stores on SQLite and on the real PostgreSQL server when one answers."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing() -> Iterator[None]:
    """Argon2id at its lowest cost: the feed's tests hash and verify thousands of passwords, each ~0.2 s at the
    product's cost (3 passes over 64 MiB). What is tested (who may log in, lockouts, tokens) does not change."""
    from argon2 import PasswordHasher

    from bot.web import auth

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", quick)
        patch.setattr(auth, "_DUMMY_HASH", quick.hash("not a password"))
        yield


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


# Migrating an empty database costs about 0.5 s (SQLite) to 0.8 s (PostgreSQL), paid by hundreds of tests: the
# `store` fixtures start from a copy of one database migrated per session instead (and still open it with
# `Store.open`, which finds it at the newest revision). `store_url` and `postgres_url` stay empty, for the
# tests that migrate themselves.
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database at the newest schema, copied by each test's store."""
    path = tmp_path_factory.mktemp("template") / "earshot.db"
    Store.open(f"sqlite:///{path}").engine.dispose()  # the last connection closed: the WAL is checkpointed
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: object) -> Iterator[str]:
    """One PostgreSQL database at the newest schema, the template of each test's store."""
    import sqlalchemy

    name = f"earshot_template_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    Store.open(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}").engine.dispose()  # no session may stay on a template
    yield name
    with postgres_admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "earshot.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def _migrated_postgres_url(postgres_admin: object, postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema for one test, dropped afterwards."""
    import sqlalchemy

    name = f"earshot_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with postgres_admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at the newest schema on each backend the store must work on."""
    if request.param == "sqlite":
        url = _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        url = request.getfixturevalue("_migrated_postgres_url")
    opened = Store.open(url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of `tmp_path/earshot.db` at the newest schema (a copy of the template), for tests that open it by URL."""
    return _sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:
    opened = Store.open(_sqlite_copy(sqlite_template, tmp_path))
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
