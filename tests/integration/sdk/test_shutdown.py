"""Bounded, idempotent shutdown, and no thread left behind."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flagpilot.sdk import Client, Options
from tests.integration.sdk.conftest import FAST, eventually, flagpilot_threads
from tests.integration.sdk.fake_server import ENVIRONMENT, KEY, FakeServer

CLOSE_BOUND = 2.0
SLACK = 1.0  # a loaded machine may be late to schedule the closing thread; the bound is 2 s


def test_close__while_the_stream_is_open__is_prompt_and_stops_every_thread(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    assert client.wait_ready(10)
    server.wait_for("/api/sdk/stream")

    started = time.monotonic()
    client.close()

    assert time.monotonic() - started < CLOSE_BOUND + SLACK
    assert flagpilot_threads() == []
    assert client.get_boolean("new_checkout", {"customerId": "c-1"}) is True  # still answers


def test_close__server_hangs__returns_within_the_bound(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.hanging.set()
    client = make_client(options=Options(read_timeout=60, heartbeat_timeout=60, connect_timeout=60))
    server.wait_for("/api/sdk/snapshot")

    started = time.monotonic()
    client.close()
    took = time.monotonic() - started

    assert took < CLOSE_BOUND + SLACK
    server.hanging.clear()  # the thread still waiting for an answer gets one, and ends


def test_close__twice__is_fine(make_client: Callable[..., Client]) -> None:
    client = make_client()

    client.close()
    client.close()

    with client:
        pass


@pytest.fixture
def dns_never_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Name lookups that block until the returned event is set (as a dead resolver does)."""
    release = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "flags.invalid":
            release.wait(30)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    yield release
    release.set()


def test_close__dns_never_answers__returns_within_the_bound(dns_never_answers: threading.Event) -> None:
    client = Client("http://flags.invalid:9", KEY, ENVIRONMENT, options=FAST)

    started = time.monotonic()
    client.close()
    took = time.monotonic() - started

    assert took < CLOSE_BOUND + SLACK
    dns_never_answers.set()  # once the lookup returns, the stopped thread ends by itself
    eventually(lambda: not flagpilot_threads(), what="the threads ending after the lookup")


def test_close__a_failing_part__does_not_keep_the_others_running(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    assert client.wait_ready(10)

    def broken() -> None:
        raise RuntimeError("cannot interrupt")

    client._sockets.interrupt = broken  # type: ignore[method-assign]
    client.close()

    eventually(lambda: not flagpilot_threads(), what="every thread stopping")


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"url": "flags.example.com", "server_key": KEY}, "url"),
        ({"url": "ftp://flags.example.com", "server_key": KEY}, "url"),
        ({"url": "http://127.0.0.1:9", "server_key": " "}, "server_key"),
        ({"url": "http://127.0.0.1:9", "server_key": KEY, "bootstrap": {"formatVersion": 1}}, "bootstrap"),
    ],
)
def test_failed_constructor__leaves_no_thread_behind(arguments: dict[str, Any], problem: str) -> None:
    before = set(threading.enumerate())

    with pytest.raises(ValueError, match=problem):
        Client(**arguments)

    assert set(threading.enumerate()) == before
