"""Databases for integration tests: every test gets a fresh, migrated database of each kind.

`database_url` is parametrised over "sqlite" (a temporary file) and "postgresql" (a uniquely
named database of this test process on the server of FLAGPILOT_TEST_DATABASE_URL, emptied before
each test and dropped at the end), so one test body covers both. `empty_database_url` gives a
brand-new database without migrations (dropped after the test).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from tests.databases import (
    clone_sqlite,
    create_database,
    drop_database,
    migrate_url,
    reset_database,
    sqlite_url,
    unique_name,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to the newest revision, copied by each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate_url(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """The name of a PostgreSQL database migrated to the newest revision, cloned by each test."""
    name = unique_name("flagpilot_template")
    migrate_url(create_database(postgres_server_url, name))
    yield name
    drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str, postgres_template: str) -> Iterator[str]:
    """The URL of this test process's migrated PostgreSQL database (emptied per test)."""
    name = unique_name("flagpilot_test")
    yield create_database(postgres_server_url, name, template=postgres_template)
    drop_database(postgres_server_url, name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to the newest revision, of each kind in turn."""
    if backend == "sqlite":
        yield clone_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "flagpilot.db")
        return
    url: str = request.getfixturevalue("postgres_database")
    reset_database(url)
    yield url


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no tables at all, of each kind in turn."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "empty.db")
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = unique_name("flagpilot_empty")
    yield create_database(server, name)
    drop_database(server, name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, disposed after the test."""
    built = build_engine(database_url)
    yield built
    built.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> SqlUnitOfWorkFactory:
    """Units of work on `engine`."""
    return SqlUnitOfWorkFactory(engine)


@pytest.fixture
def postgres_server_url_if_used(backend: str, request: pytest.FixtureRequest) -> str | None:
    """The PostgreSQL server URL when the test runs on PostgreSQL, else None."""
    return str(request.getfixturevalue("postgres_server_url")) if backend == "postgresql" else None
