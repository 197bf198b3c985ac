"""Brings a database's schema to the newest Alembic revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.store.locks import lock_migrations

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` on `engine`."""
    config = alembic_config()
    with engine.begin() as connection:
        lock_migrations(connection)  # two daemons starting together on a fresh PostgreSQL: one migrates
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def heads() -> list[str]:
    """The newest revision(s); more than one means two migrations forked."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())
