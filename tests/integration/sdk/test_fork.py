"""Fork-safe with no user action: a forked child keeps receiving changes by itself."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

import pytest

from flagpilot.sdk import Client
from tests.integration.sdk.fake_server import FakeServer, flag

CUSTOMER = {"customerId": "c-1"}


def _child(client: Client, started: Event, answers: Queue[object]) -> None:
    import threading

    threads = sorted(t.name for t in threading.enumerate() if t.name.startswith("flagpilot-"))
    started.set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and client.get_boolean("new_checkout", CUSTOMER, True):
        time.sleep(0.01)
    answers.put((threads, client.get_boolean("new_checkout", CUSTOMER, True), client.status.state.value))
    client.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+ warns about fork with threads
def test_fork__children_see_a_change_made_after_the_fork(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    # Given a client following the server in the parent
    client = make_client()
    assert client.wait_ready(10)
    server.wait_for("/api/sdk/stream")
    context = multiprocessing.get_context("fork")
    answers: Queue[object] = context.Queue()
    started = [context.Event() for _ in range(2)]

    # When two children are forked, and a change is made after they started
    children = [context.Process(target=_child, args=(client, event, answers)) for event in started]
    for child in children:
        child.start()
    for event in started:
        assert event.wait(20)
    server.publish({"new_checkout": flag(False)})

    # Then both children serve it, from threads of their own, with no call to any post-fork hook
    results = [answers.get(timeout=30) for _ in children]
    for child in children:
        child.join(10)
        assert child.exitcode == 0
    for threads, value, state in results:  # type: ignore[misc]
        assert value is False
        assert state == "ready"
        assert "flagpilot-sync" in threads
    assert client.get_boolean("new_checkout", CUSTOMER, True) is False  # and the parent too
