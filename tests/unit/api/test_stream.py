"""The snapshot change stream's events, read from its generator (in-process clients buffer whole
responses, so a never-ending stream is tested here and over real HTTP in tests/e2e)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

import pytest

from flagpilot.api.stream import ChangeBroadcast, parse_last_event_id, snapshot_event, snapshot_events
from flagpilot.services.snapshots import StaticSnapshotProvider
from tests.unit.api.conftest import production

pytestmark = pytest.mark.anyio


async def next_message(events: AsyncIterator[bytes]) -> bytes:
    return await asyncio.wait_for(anext(events), timeout=2)


async def test_stream__new_client__hears_the_current_version_first(snapshots: StaticSnapshotProvider) -> None:
    events = snapshot_events(snapshots, "production", None, poll=0.01)

    assert (await next_message(events)).startswith(b"retry: ")
    assert await next_message(events) == snapshot_event(7, "production")
    await events.aclose()


async def test_stream__new_version__is_announced_within_a_poll(snapshots: StaticSnapshotProvider) -> None:
    events = snapshot_events(snapshots, "production", 7, poll=0.01)
    await next_message(events)  # retry advice

    snapshots.replace(production(version=8))

    assert (
        await next_message(events)
        == b'id: 8\nevent: snapshot\ndata: {"version":8,"environment":"production"}\n\n'
    )
    await events.aclose()


async def test_stream__client_that_missed_a_version__hears_of_it_at_once(
    snapshots: StaticSnapshotProvider,
) -> None:
    events = snapshot_events(snapshots, "production", 5, poll=0.01)
    await next_message(events)

    assert await next_message(events) == snapshot_event(7, "production")
    await events.aclose()


async def test_stream__idle__sends_heartbeat_comments(snapshots: StaticSnapshotProvider) -> None:
    events = snapshot_events(snapshots, "production", 7, poll=0.01, heartbeat=0.02)
    await next_message(events)

    assert await next_message(events) == b": keep-alive\n\n"
    await events.aclose()


async def test_stream__after_close_streams__ends(snapshots: StaticSnapshotProvider) -> None:
    streams = ChangeBroadcast(snapshots, poll=0.01)
    events = snapshot_events(snapshots, "production", 7, broadcast=streams)
    await next_message(events)
    streams.close()

    with pytest.raises(StopAsyncIteration):
        await next_message(events)


async def test_broadcast__one_look_per_poll__wakes_every_stream_and_ends_with_the_last(
    snapshots: StaticSnapshotProvider,
) -> None:
    looks = 0
    current_version = snapshots.current_version

    def counted() -> int:
        nonlocal looks
        looks += 1
        return current_version()

    snapshots.current_version = counted  # type: ignore[method-assign]
    streams = ChangeBroadcast(snapshots, poll=0.01)
    clients = [snapshot_events(snapshots, "production", 7, broadcast=streams) for _ in range(20)]
    for events in clients:
        await next_message(events)  # retry advice; every client now waits on the broadcast
    waiting = [asyncio.ensure_future(next_message(events)) for events in clients]
    await asyncio.sleep(0.1)
    looks_while_twenty_wait = looks

    snapshots.replace(production(version=8))

    assert {await answer for answer in waiting} == {snapshot_event(8, "production")}
    assert looks_while_twenty_wait < 20  # one watcher, not one poll loop per stream
    for events in clients:
        await events.aclose()
    settled = looks
    await asyncio.sleep(0.05)
    assert looks == settled  # no stream open: the watcher stopped


async def test_broadcasts_of_two_apps__are_independent(snapshots: StaticSnapshotProvider) -> None:
    first, second = ChangeBroadcast(snapshots, poll=0.01), ChangeBroadcast(snapshots, poll=0.01)
    events = snapshot_events(snapshots, "production", 7, broadcast=second)
    await next_message(events)

    first.close()
    snapshots.replace(production(version=8))

    assert await next_message(events) == snapshot_event(8, "production")
    await events.aclose()


class Refreshes:
    """A refresh signal like the snapshot cache's: listeners called on another thread."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[], object]] = []

    def add_refresh_listener(self, listener: Callable[[], object]) -> None:
        self.listeners.append(listener)

    def remove_refresh_listener(self, listener: Callable[[], object]) -> None:
        self.listeners.remove(listener)

    def refreshed(self) -> None:
        def tell() -> None:
            for listener in list(self.listeners):
                listener()

        thread = threading.Thread(target=tell)
        thread.start()
        thread.join()


async def test_broadcast_told_by_refreshes__wakes_every_stream_at_the_refresh_without_polling(
    snapshots: StaticSnapshotProvider,
) -> None:
    # Given: twenty streams of a broadcast that would poll once an hour
    refreshes = Refreshes()
    streams = ChangeBroadcast(snapshots, poll=3600, refreshes=refreshes)
    clients = [snapshot_events(snapshots, "production", None, broadcast=streams) for _ in range(20)]
    for events in clients:
        await next_message(events)  # retry advice
        assert await next_message(events) == snapshot_event(7, "production")  # sent once subscribed
    waiting = [asyncio.ensure_future(next_message(events)) for events in clients]

    # When: a refresh publishes version 8
    snapshots.replace(production(version=8))
    refreshes.refreshed()

    # Then
    assert len(refreshes.listeners) == 1
    assert {await asyncio.wait_for(answer, 5) for answer in waiting} == {snapshot_event(8, "production")}
    for events in clients:
        await events.aclose()
    assert refreshes.listeners == []  # no stream open: nothing listens


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), (" 3 ", 3), ("x", None), ("-1", None), (None, None)]
)
def test_parse_last_event_id__reads_only_versions(raw: str | None, expected: int | None) -> None:
    assert parse_last_event_id(raw) == expected
