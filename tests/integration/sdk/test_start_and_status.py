"""Never blocks, never lies: the constructor returns at once, READY only once data is loaded."""

from __future__ import annotations

import time
from collections.abc import Callable

from flagpilot.core import ErrorCode, Reason
from flagpilot.sdk import Client, Source, State
from tests.integration.sdk.conftest import eventually
from tests.integration.sdk.fake_server import FakeServer


def test_constructor__server_hangs__returns_at_once_and_serves_the_callers_defaults(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    # Given a server that accepts connections and never answers
    server.hanging.set()

    # When a client is built
    started = time.monotonic()
    client = make_client()
    took = time.monotonic() - started

    # Then it returned long before any timeout, is honest about having nothing, and answers defaults
    assert took < 1.0  # generous for a loaded machine; bench_sdk measures the real figure
    assert client.status.state is State.NOT_READY
    assert client.status.source is None
    assert client.get_boolean("new_checkout", {"customerId": "c-1"}, True) is True
    details = client.get_details("new_checkout", {"customerId": "c-1"}, False)
    assert (details.value, details.reason, details.error_code) == (False, Reason.ERROR, ErrorCode.GENERAL)


def test_wait_ready__server_unreachable__gives_up_after_the_timeout(
    make_client: Callable[..., Client],
) -> None:
    client = make_client(url="http://127.0.0.1:9")  # nothing listens on the discard port

    assert client.wait_ready(0.3) is False
    assert client.status.state in (State.NOT_READY, State.ERROR)


def test_ready__only_once_the_snapshot_has_arrived(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    # Given a server slow to send the snapshot
    server.snapshot_delay = 0.5
    client = make_client()

    # Then it is not ready before the data, and ready with network data after it
    assert client.status.state is State.NOT_READY
    assert client.wait_ready(10) is True
    assert (client.status.state, client.status.source, client.status.version) == (
        State.READY,
        Source.NETWORK,
        1,
    )
    assert client.get_boolean("new_checkout", {"customerId": "c-1"}) is True


def test_no_data_for_a_while__turns_not_ready_into_error(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.snapshot_status = 503
    client = make_client()

    eventually(lambda: client.status.state is State.ERROR, what="ERROR after the grace period")
    assert "503" in (client.status.message or "")


def test_evaluations__never_raise_whatever_they_are_given(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    client.wait_ready(10)
    odd_contexts: list[object] = [
        None,
        {},
        {"customerId": 42},
        {"attributes": "not a mapping"},
        {"x": object()},
    ]

    for context in odd_contexts:
        assert client.get_boolean("new_checkout", context) is True  # type: ignore[arg-type]
        assert client.get_string("new_checkout", context, "d") == "d"  # type: ignore[arg-type]
        assert client.get_details("no_such_flag", context).error_code is ErrorCode.FLAG_NOT_FOUND  # type: ignore[arg-type]
