"""The SDK against a real `flagpilot serve` over loopback: changes, the widget document, fork."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

import httpx
import pytest

from flagpilot.sdk import Client, Options, Source, State
from tests.e2e.server import ServerProcess

FLAG = "phase2_retry_logic"
ARRIVAL_BOUND = 10.0  # seconds; generous for a loaded machine (bench_sdk_propagation measures it)


def set_value(server: ServerProcess, value: bool) -> None:
    body = {"featureName": FLAG, "environment": "production", "enabled": value, "reason": "sdk e2e"}
    answer = httpx.post(
        server.url("/api/admin/feature-flags"),
        json=body,
        headers={"Authorization": f"Bearer {server.admin_token}"},
    )
    answer.raise_for_status()


def wait_for(client: Client, value: bool) -> float:
    """Seconds until `client` serves `value` for the flag (AssertionError past the bound)."""
    started = time.monotonic()
    while client.get_boolean(FLAG, {"customerId": "c-1"}, not value) is not value:
        assert time.monotonic() - started < ARRIVAL_BOUND, client.status
        time.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
def client(server: ServerProcess, server_key: str) -> Iterator[Client]:
    with Client(server.base_url, server_key, "production", options=Options(grace=2)) as flags:
        assert flags.wait_ready(20), flags.status
        yield flags


def test_change__written_through_the_api__is_served_by_the_sdk(server: ServerProcess, client: Client) -> None:
    assert (client.status.state, client.status.source) == (State.READY, Source.NETWORK)

    for value in (True, False):
        set_value(server, value)
        wait_for(client, value)


def test_widget_config__is_the_routes_document(
    server: ServerProcess, client: Client, client_key: str
) -> None:
    set_value(server, True)
    wait_for(client, True)

    for customer in ("c-1", "c-2", None):
        params = {"key": client_key, **({"customerId": customer} if customer else {})}
        served = httpx.get(server.url("/api/widget/config"), params=params).json()
        assert client.widget_config({"customerId": customer}) == served
    assert client.widget_config({"customerId": "c-1"})["sessionPersistence"]["phase2"]["retryLogic"] is True


def _worker(client: Client, started: Event, arrivals: Queue[object]) -> None:
    started.set()
    try:
        arrivals.put(("ok", wait_for(client, True), client.status.state.value))
    except AssertionError as error:
        arrivals.put(("late", str(error), client.status.state.value))
    client.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+ warns about fork with threads
def test_fork__two_workers_of_a_preloaded_client_both_receive_a_change(
    server: ServerProcess, client: Client
) -> None:
    # Given a client made before forking, as `gunicorn --preload` makes it, with the flag off
    set_value(server, False)
    wait_for(client, False)
    context = multiprocessing.get_context("fork")
    arrivals: Queue[object] = context.Queue()
    started = [context.Event(), context.Event()]
    workers = [context.Process(target=_worker, args=(client, event, arrivals)) for event in started]

    # When two workers are forked and the flag is turned on afterwards
    for worker in workers:
        worker.start()
    for event in started:
        assert event.wait(20)
    set_value(server, True)

    # Then each worker serves the change, from a connection of its own
    results = [arrivals.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(10)
    assert [(outcome, state) for outcome, _, state in results] == [("ok", "ready"), ("ok", "ready")]  # type: ignore[misc]
