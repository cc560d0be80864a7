"""End-to-end fixtures: one real server process per test module (see `tests/e2e/server.py`).

    def test_something(server: ServerProcess) -> None: ...

Modules that need their own settings start one with `running_server({...})`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import create_database, drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A `flagpilot serve` process on its own SQLite database (`flagpilot init`: the preset), with a
    bootstrap admin token."""
    with running_server({"FLAGPILOT_STREAM_HEARTBEAT_SECONDS": "0.5"}, setup=[["init"]]) as process:
        yield process


@pytest.fixture(scope="module")
def server_key(server: ServerProcess) -> str:
    """A server-SDK token of `server`."""
    return server.issue("server-sdk")


@pytest.fixture(scope="module")
def client_key(server: ServerProcess) -> str:
    """A client-SDK key of `server`."""
    return server.issue("client-sdk")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def durable_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, SQLite or PostgreSQL, that outlives the server processes of one test
    (for tests that kill and restart them)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/flagpilot.db"
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    name = unique_name("flagpilot_durable")
    url = create_database(server_url, name)
    try:
        yield url
    finally:
        drop_database(server_url, name)
