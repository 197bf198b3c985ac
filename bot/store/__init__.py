"""The store: SQLite by default, PostgreSQL in production, schema through Alembic."""

from bot.store.store import Store

__all__ = ["Store"]
