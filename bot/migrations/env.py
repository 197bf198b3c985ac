"""Alembic environment: runs migrations on the connection Earshot hands over."""

from alembic import context
from sqlmodel import SQLModel

import bot.store.answer_tables  # noqa: F401
import bot.store.delivery_tables  # noqa: F401
import bot.store.digest_tables  # noqa: F401
import bot.store.routing_tables  # noqa: F401
import bot.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
import bot.store.web_tables  # noqa: F401

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through bot.store.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
