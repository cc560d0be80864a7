"""Engines for SQLite and PostgreSQL, built on demand (never at import time).

SQLite needs three things SQLAlchemy does not do by itself: foreign keys switched on for every
connection, WAL (readers never block the writer), and a busy timeout so a second writer waits
instead of failing. Write transactions also begin with `BEGIN IMMEDIATE`: a deferred transaction
that reads first and writes later can be refused outright (`SQLITE_BUSY`) when another writer
committed in between, and no timeout helps with that.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_SECONDS = 5
WRITE_OPTION = "flagpilot_write"
"""Execution option on a connection whose transaction will write (SQLite: `BEGIN IMMEDIATE`)."""


_SCALARS: dict[str | bytes, Any] = {"true": True, "false": False, b"true": True, b"false": False}


def _loads(text: str | bytes) -> Any:
    # Most stored values are booleans: skip the parser for them (snapshot rebuilds decode one
    # value per override, 100,000 at a time).
    found = _SCALARS.get(text)
    return found if found is not None else json.loads(text)


def json_text(value: Any) -> str:
    """`value` as the JSON text stored in JSON columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_sqlite(url: str | URL) -> bool:
    """Whether `url` names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> str | None:
    """The file of an on-disk SQLite database, or None for an in-memory one or another database."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return None
    if database == ":memory:" or database.startswith("file::memory:") or "mode=memory" in str(parsed):
        return None
    return database


def is_postgresql(url: str | URL) -> bool:
    """Whether `url` names a PostgreSQL database."""
    return make_url(url).get_backend_name() == "postgresql"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def build_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for `url`, configured for flagpilot's use of SQLite or PostgreSQL.

    Args:
        url: a SQLAlchemy URL, `sqlite:///path` or `postgresql+psycopg://…`.
        **options: passed on to `sqlalchemy.create_engine` (e.g. `poolclass`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": _loads}
    if parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
    kwargs.update(options)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def libpq_url(url: str | URL) -> str:
    """The plain `postgresql://` form of a SQLAlchemy URL, for a raw psycopg connection."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
