"""Outcome reporting: counted in memory, sent in batches, bounded while the server is away."""

from __future__ import annotations

from collections.abc import Callable

from flagpilot.sdk import Client, Options
from tests.integration.sdk.conftest import FAST, eventually
from tests.integration.sdk.fake_server import FakeServer


def _sent(server: FakeServer) -> dict[tuple[str, str, str], int]:
    totals: dict[tuple[str, str, str], int] = {}
    for batch in server.batches:
        for event in batch:
            key = (event["featureName"], event["customerId"], event["outcome"])
            totals[key] = totals.get(key, 0) + event["count"]
    return totals


def test_track_outcome__counts_are_sent_in_batches(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    for _ in range(3):
        client.track_outcome("new_checkout", {"customerId": "c-1"}, True)
    client.track_outcome("new_checkout", {"customerId": "c-1"}, False)
    client.track_outcome("new_checkout", None, False)  # no customer: nothing a rollout can count

    eventually(lambda: _sent(server), what="a batch arriving")
    assert _sent(server) == {("new_checkout", "c-1", "success"): 3, ("new_checkout", "c-1", "error"): 1}
    assert all(isinstance(event["timestamp"], int) for batch in server.batches for event in batch)
    eventually(lambda: client.outcome_metrics.sent == 4)
    assert client.outcome_metrics.unattributed == 1


def test_track_outcome__server_failing__keeps_the_counts_and_sends_them_later(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.events_status = 503
    client = make_client()
    client.track_outcome("new_checkout", {"customerId": "c-1"}, False)
    server.wait_for("/api/events", 2)  # tried and failed twice
    assert client.outcome_metrics.pending == 1

    server.events_status = 202

    eventually(lambda: _sent(server) == {("new_checkout", "c-1", "error"): 1}, what="the retry")


def test_track_outcome__unreachable__bounded_memory_oldest_dropped_and_counted(
    make_client: Callable[..., Client],
) -> None:
    client = make_client(
        url="http://127.0.0.1:9", options=Options(**{**_fields(FAST), "max_pending_outcomes": 10})
    )

    for customer in range(25):
        client.track_outcome("new_checkout", {"customerId": f"c-{customer}"}, True)

    metrics = client.outcome_metrics
    assert metrics.pending <= 10
    assert metrics.dropped + metrics.pending == 25


def test_close__flushes_what_is_pending(server: FakeServer, make_client: Callable[..., Client]) -> None:
    client = make_client(options=Options(**{**_fields(FAST), "flush_interval": 3600}))
    assert client.wait_ready(10)
    client.track_outcome("new_checkout", {"customerId": "c-9"}, True)

    client.close()

    assert _sent(server) == {("new_checkout", "c-9", "success"): 1}


def _fields(options: Options) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__slots__}  # type: ignore[attr-defined]
