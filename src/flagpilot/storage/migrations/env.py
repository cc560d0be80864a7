"""Alembic environment: runs the revisions on the connection `flagpilot.storage.migrate` hands over.

Run through `flagpilot db …` (or `flagpilot.storage.migrate`), never through a separate
alembic.ini: the URL, the engine options and the SQLite pragmas are the application's own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from flagpilot.storage.engine import WRITE_OPTION, build_engine
from flagpilot.storage.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate on the connection given in `config.attributes`, or on a new one to the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    engine = build_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("flagpilot migrations run online only: `flagpilot db upgrade`")
run_migrations_online()
