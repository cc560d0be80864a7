"""Fixtures for the SDK's contract suite: a misbehaving fake server and clients with short timings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flagpilot.sdk import Client, Options
from tests.integration.sdk.fake_server import ENVIRONMENT, KEY, FakeServer

# Every delay shortened so a failure and its recovery take a fraction of a second; bounds in the
# tests stay generous (seconds), since the machine may be loaded.
FAST = Options(
    connect_timeout=2.0,
    read_timeout=2.0,
    heartbeat_timeout=2.0,
    grace=0.3,
    backoff_initial=0.05,
    backoff_max=0.2,
    backoff_reset=1.0,
    poll_interval=0.1,
    stream_retry=60.0,
    flush_interval=0.1,
)


def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "the condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.01)
    raise AssertionError(f"{what} did not hold within {timeout}s")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def make_client(server: FakeServer) -> Iterator[Callable[..., Client]]:
    """Clients of `server` (FAST options unless given), all closed after the test; then no
    flagpilot thread may be left."""
    clients: list[Client] = []

    def make(**arguments: Any) -> Client:
        arguments.setdefault("options", FAST)
        client = Client(arguments.pop("url", server.url), arguments.pop("key", KEY), ENVIRONMENT, **arguments)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    eventually(lambda: not flagpilot_threads(), what="every client thread ending")


def flagpilot_threads() -> list[threading.Thread]:
    """The SDK's threads alive in this process."""
    return [thread for thread in threading.enumerate() if thread.name.startswith("flagpilot-")]
