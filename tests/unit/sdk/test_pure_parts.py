"""The SDK's pure parts: backoff, the event-stream parser, contexts, status and changed keys."""

from __future__ import annotations

import pytest

from flagpilot.core import EvaluationContext, Snapshot, snapshot_from_dict
from flagpilot.sdk._backoff import Backoff
from flagpilot.sdk._context import to_context
from flagpilot.sdk._sse import EventParser, LineSplitter, StreamProtocolError
from flagpilot.sdk._state import ClientState, changed_keys
from flagpilot.sdk._status import Source, State


def test_backoff__doubles_from_one_to_thirty_seconds_with_jitter_never_below_half() -> None:
    lowest, highest = Backoff(rand=lambda: 0.0), Backoff(rand=lambda: 0.999999)

    low = [lowest.next_delay() for _ in range(8)]
    high = [highest.next_delay() for _ in range(8)]

    assert low == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert [round(h) for h in high] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff__a_connection_healthy_for_a_minute_starts_the_series_over() -> None:
    backoff = Backoff(rand=lambda: 0.999999)
    for _ in range(5):
        backoff.next_delay()

    assert round(backoff.next_delay(healthy_for=59)) == 30
    assert round(backoff.next_delay(healthy_for=60)) == 1


def test_event_parser__dispatches_on_a_blank_line_and_keeps_the_last_id() -> None:
    parser = EventParser()
    lines = ["retry: 1000", "", ": keep-alive", "id: 7", "event: snapshot", 'data: {"version":7}', ""]

    events = [event for line in lines if (event := parser.feed(line)) is not None]

    assert [(e.event, e.data, e.id) for e in events] == [("snapshot", '{"version":7}', "7")]
    assert (parser.retry_ms, parser.last_id) == (1000, "7")


def test_line_splitter__joins_chunks_drops_carriage_returns_and_refuses_endless_lines() -> None:
    splitter = LineSplitter(max_line=10)

    assert splitter.feed(b"id: 1\r\nda") == ["id: 1"]
    assert splitter.feed(b"ta: x\n\n") == ["data: x", ""]
    with pytest.raises(StreamProtocolError):
        splitter.feed(b"y" * 11)


def test_to_context__plain_mapping_with_ids_is_the_core_context() -> None:
    context = to_context({"customerId": "c-1", "organizationId": "org-a"})

    assert context == EvaluationContext("c-1", "org-a")
    assert to_context({"customerId": "c-1", "organizationId": "org-a"}) is context  # remembered
    assert to_context({"targetingKey": "c-2"}) == EvaluationContext("c-2")
    assert to_context(None) == EvaluationContext()


def test_to_context__other_keys_and_nested_attributes_are_attributes() -> None:
    context = to_context({"customerId": 5, "plan": "pro", "attributes": {"deviceId": "d-1"}})

    assert context.customer_id == "5"
    assert dict(context.attributes) == {"plan": "pro", "deviceId": "d-1"}


def test_state__stale_at_once_then_error_after_the_grace() -> None:
    now = [100.0]
    state = ClientState(grace=5.0, clock=lambda: now[0])
    assert state.status.state is State.NOT_READY

    state.install(_snapshot(1), Source.NETWORK)
    assert state.status.state is State.READY

    state.disconnected("the stream ended")
    assert state.status.state is State.STALE
    now[0] += 4.9
    assert state.status.state is State.STALE
    now[0] += 0.2
    assert state.status.state is State.ERROR
    state.connected()
    assert state.status.state is State.READY
    state.fail_fatally("HTTP 401")
    assert state.status.state is State.FATAL


def test_state__disk_data_is_stale_not_ready() -> None:
    state = ClientState(grace=5.0, clock=lambda: 0.0)

    state.install(_snapshot(1), Source.DISK)

    assert (state.status.state, state.status.source) == (State.STALE, Source.DISK)


def test_changed_keys__names_added_removed_and_changed_flags_only() -> None:
    old = _snapshot(1, a=True, b=True, c=True)
    new = _snapshot(2, a=True, b=False, d=True)

    assert sorted(changed_keys(old, new)) == ["b", "c", "d"]


def _snapshot(version: int, **values: bool) -> Snapshot:
    flags = {
        key: {"type": "bool", "defaultValue": False, "value": value}
        for key, value in (values or {"a": True}).items()
    }
    return snapshot_from_dict(
        {"formatVersion": 1, "environment": "production", "version": version, "flags": flags}
    )
