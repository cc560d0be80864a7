"""End-to-end fixtures: one real server process per test module (see `tests/e2e/server.py`).

    def test_something(server: ServerProcess) -> None: ...

Modules that need their own settings start one with `running_server({...})`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
