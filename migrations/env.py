"""Alembic environment: the engine comes from bot.store.db (never from a URL in an ini file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.store.tables import Base

target_metadata = Base.metadata
config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line: take the URL from -x url=…
        engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Two processes starting together must not both run the migrations.
            connection.exec_driver_sql("SELECT pg_advisory_lock(724351)")
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_unlock(724351)")
            connection.commit()


run()
