"""A serving snapshot cache answers from memory while it rebuilds, and says how far behind it is.

The store here is a fake of the storage port whose `load` can be held, so a test can look at the
cache in the middle of a rebuild; the SQL store is tested in tests/integration/services.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.services.stored_records import StoredState
from tests.unit.builders import flag

WAIT = 10.0


class HeldStore:
    """A `SnapshotStore` over one version counter; `hold()` makes the next loads wait."""

    def __init__(self) -> None:
        self.state_version = 1
        self.names = ["production", "staging"]
        self.loads = 0
        self.down = False
        self.released = threading.Event()
        self.released.set()
        self.loading = threading.Event()

    def hold(self) -> None:
        self.released.clear()
        self.loading.clear()

    def load(self, environment: str) -> StoredState:
        if self.down:
            raise StorageUnavailable("the database is down")
        if environment not in self.names:
            raise EnvironmentNotFound(environment)
        self.loading.set()
        assert self.released.wait(WAIT)
        self.loads += 1
        return StoredState(environment=environment, version=self.state_version, states=(flag(),))

    def load_all(self) -> list[StoredState]:
        return [self.load(name) for name in self.names]

    def version(self) -> int:
        if self.down:
            raise StorageUnavailable("the database is down")
        return self.state_version

    def environments(self) -> list[str]:
        if self.down:
            raise StorageUnavailable("the database is down")
        return list(self.names)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> HeldStore:
    return HeldStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(store: HeldStore, clock: Clock) -> Iterator[SnapshotCache]:
    """A started cache that polls rarely (the tests wake it), on a clock the test moves."""
    started = SnapshotCache(store, poll_seconds=60, clock=clock)
    started.start()
    yield started
    store.released.set()
    started.close()


def test_start__builds_every_environment_before_serving(cache: SnapshotCache, store: HeldStore) -> None:
    assert store.loads == 2
    assert cache.stats().versions == {"production": 1, "staging": 1}
    assert cache.get("production").version == 1
    assert cache.stats().misses == 0


def test_get__an_unknown_environment__is_not_found_without_asking_the_store(
    cache: SnapshotCache, store: HeldStore
) -> None:
    store.down = True  # any question to the store would fail differently

    with pytest.raises(EnvironmentNotFound):
        cache.get("moon")


def test_get__during_a_rebuild__serves_the_previous_snapshot_at_once(
    cache: SnapshotCache, store: HeldStore
) -> None:
    # Given: a rebuild that is stuck in the store
    previous = cache.get("production")
    store.state_version = 2
    store.hold()
    cache.notify(2)
    assert store.loading.wait(WAIT)

    # When
    served = cache.get("production")

    # Then: the old snapshot, not a wait
    assert served is previous
    store.released.set()


def test_written__returns_only_once_the_write_is_served(cache: SnapshotCache, store: HeldStore) -> None:
    # Given: a write committed (version 2) whose rebuild is held
    store.state_version = 2
    store.hold()
    returned = threading.Event()
    writer = threading.Thread(target=lambda: (cache.written(), returned.set()))

    # When
    writer.start()
    assert store.loading.wait(WAIT)

    # Then: the writer waits while readers still get version 1; released, it sees version 2
    assert not returned.wait(0.2)
    assert cache.get("production").version == 1
    store.released.set()
    assert returned.wait(WAIT)
    assert cache.get("production").version == 2
    assert cache.get("staging").version == 2
    writer.join(WAIT)


def test_written__returns_only_once_the_refresh_listeners_saw_the_write(
    cache: SnapshotCache, store: HeldStore
) -> None:
    # Given: a listener that notes the version the cache serves when it is called
    seen: list[int] = []
    cache.add_refresh_listener(lambda: seen.append(cache.current_version()))
    store.state_version = 2

    # When
    cache.written()

    # Then: the writer's refresh called it with the new version before the writer went on
    assert seen[-1:] == [2]


def test_refresh__a_failing_listener__neither_fails_the_refresh_nor_stops_the_others(
    cache: SnapshotCache, store: HeldStore
) -> None:
    calls: list[str] = []

    def failing() -> None:
        calls.append("failing")
        raise RuntimeError("a bug in a follower")

    cache.add_refresh_listener(failing)
    cache.add_refresh_listener(lambda: calls.append("other"))

    assert cache.refresh() is True
    assert calls == ["failing", "other"]


def test_refresh__database_down__calls_no_listener_and_a_removed_one_never(
    cache: SnapshotCache, store: HeldStore
) -> None:
    calls: list[str] = []

    def listener() -> None:
        calls.append("called")

    cache.add_refresh_listener(listener)
    store.down = True
    cache.refresh()
    store.down = False
    cache.remove_refresh_listener(listener)
    cache.refresh()

    assert calls == []


def test_refresh__a_new_environment__is_built_and_a_removed_one_dropped(
    cache: SnapshotCache, store: HeldStore
) -> None:
    store.names = ["production", "qa"]
    store.state_version = 2

    cache.written()

    assert cache.stats().versions == {"production": 2, "qa": 2}
    with pytest.raises(EnvironmentNotFound):
        cache.get("staging")


def test_stats__age_grows_while_the_refresher_cannot_confirm(
    cache: SnapshotCache, store: HeldStore, clock: Clock
) -> None:
    # Given: confirmed at 100 s
    assert cache.stats().age_seconds == 0.0

    # When: 12 s pass with the database down
    store.down = True
    clock.now += 12
    answered = cache.refresh()

    # Then: the last good snapshots are served, reported stale and 12 s old
    stats = cache.stats()
    assert answered is False
    assert (stats.stale, stats.age_seconds) == (True, 12.0)
    assert stats.last_error == "the database is down"
    assert cache.get("production").version == 1

    # And: once the database answers, confirmed again
    store.down = False
    assert cache.refresh() is True
    assert (cache.stats().stale, cache.stats().age_seconds) == (False, 0.0)


def test_refresh__nothing_changed__builds_nothing_until_the_ttl(store: HeldStore, clock: Clock) -> None:
    cache = SnapshotCache(store, ttl_seconds=300, poll_seconds=60, clock=clock)
    cache.start()
    try:
        cache.refresh()
        assert store.loads == 2
        clock.now += 301
        cache.refresh()
        assert store.loads == 4
    finally:
        cache.close()


def test_get__serving_before_the_first_build__is_unavailable_not_unknown(store: HeldStore) -> None:
    store.down = True
    cache = SnapshotCache(store, poll_seconds=60)
    cache.start()
    try:
        with pytest.raises(StorageUnavailable):
            cache.get("production")
    finally:
        cache.close()
