"""Throw-away databases for tests: migrated once per session, then cloned or emptied per test.

Migrating takes a few hundred milliseconds. SQLite templates are files copied per test. On
PostgreSQL each test process clones one database from a migrated template (`CREATE DATABASE …
TEMPLATE`, under a unique name, so parallel runs never collide) and empties it before each test
with one TRUNCATE, which is several times faster than cloning a database per test.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from flagpilot.storage import build_engine, libpq_url, migrate
from flagpilot.storage.models import Base

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_unreachable(url: str) -> str | None:
    """Why the server of `url` cannot be used, or None if it can."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def unique_name(prefix: str) -> str:
    """A database name no other test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def database_url(server_url: str, name: str) -> str:
    """`server_url` pointing at database `name`."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _admin(server_url: str, statement: str) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` (a copy of `template`, if given); return its URL."""
    clause = f' TEMPLATE "{template}"' if template else ""
    _admin(server_url, f'CREATE DATABASE "{name}"{clause}')
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name`, disconnecting whoever is still connected."""
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_url(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    engine = build_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine, revision)
    finally:
        engine.dispose()


def sqlite_url(path: Path) -> str:
    """The URL of an SQLite file."""
    return f"sqlite:///{path}"


def clone_sqlite(template: Path, target: Path) -> str:
    """Copy a migrated SQLite file; return the copy's URL."""
    shutil.copyfile(template, target)
    return sqlite_url(target)


def reset_database(url: str) -> None:
    """Empty every table of a migrated PostgreSQL database and restart its ids and version."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute(
            f"TRUNCATE {tables} RESTART IDENTITY CASCADE; "  # type: ignore[arg-type]
            "INSERT INTO state_version (id, version) VALUES (1, 0)"
        )
