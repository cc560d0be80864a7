"""Compiled snapshots per environment, held in memory and kept current without blocking requests.

How a snapshot learns of a change:

- a write in this process calls `invalidate()` (the unit-of-work factory's commit listener), and
  the next `get` rebuilds synchronously: the writer reads its own writes;
- a write in another process reaches the `ChangeWatcher` (LISTEN/NOTIFY on PostgreSQL,
  `PRAGMA data_version` on SQLite), which calls `notify()`; a background thread then rebuilds
  the cached environments while `get` keeps serving the old snapshots until the new ones are ready;
- if a notification is lost, the time-to-live bounds the staleness: after `ttl_seconds` the
  background thread asks the database for its version and rebuilds if it moved.

If the database cannot be reached, the last good snapshots keep being served and `stats()`
says `stale=True` with the error, for `/readyz` and `/metrics`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flagpilot.core import Snapshot, servable_states
from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.services.ports import ChangeWatcher, SnapshotStore
from flagpilot.services.snapshots import CacheStats

log = logging.getLogger(__name__)

MAX_SLEEP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Entry:
    snapshot: Snapshot
    generation: int


class SnapshotCache:
    """A `SnapshotProvider` over a `SnapshotStore`.

    Args:
        store: reads an environment's state and the state version.
        flags_enabled: the master switch (`Settings.flags_enabled`), passed to every snapshot.
        ttl_seconds: longest a snapshot is served without the database confirming it current.
        watcher: tells of changes made by other processes; None to rely on the TTL alone.
        clock: monotonic seconds (a parameter so tests can move time).
    """

    def __init__(
        self,
        store: SnapshotStore,
        *,
        flags_enabled: bool = True,
        ttl_seconds: float = 300.0,
        watcher: ChangeWatcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._flags_enabled = flags_enabled
        self._ttl = ttl_seconds
        self._watcher = watcher
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._generation = 0
        self._known_version = 0
        self._checked_at: float | None = None
        self._stale = False
        self._last_error: str | None = None
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._wakeup = threading.Event()
        self._closing = threading.Event()
        self._worker: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the background refresher and the change watcher."""
        if self._worker is not None:
            return
        self._closing.clear()
        self._worker = threading.Thread(target=self._run, name="flagpilot-snapshots", daemon=True)
        self._worker.start()
        if self._watcher is not None:
            self._watcher.start(self.notify)

    def close(self) -> None:
        """Stop the watcher and the background refresher."""
        if self._watcher is not None:
            self._watcher.stop()
        self._closing.set()
        self._wakeup.set()
        if self._worker is not None:
            self._worker.join(timeout=5)
            self._worker = None

    # -------------------------------------------------------------- serving

    def get(self, environment: str) -> Snapshot:
        """The current snapshot of `environment`; raises `EnvironmentNotFound` if unknown.

        Raises `StorageUnavailable` only when no snapshot of `environment` was ever built.
        """
        entry = self._entries.get(environment)
        if entry is not None and entry.generation == self._generation:
            self._hits += 1
            if self._expired():
                self._wakeup.set()
            return entry.snapshot
        with self._build_lock:
            entry = self._entries.get(environment)
            if entry is not None and entry.generation == self._generation:
                self._hits += 1
                return entry.snapshot
            self._misses += 1
            try:
                return self._build(environment)
            except StorageUnavailable:
                if entry is None:
                    raise
                # Serve the last good snapshot without retrying per request: the background
                # thread retries every second and swaps in the rebuilt one.
                with self._lock:
                    self._entries[environment] = _Entry(entry.snapshot, self._generation)
                return entry.snapshot

    def current_version(self) -> int:
        """The newest version among the snapshots held."""
        return max((entry.snapshot.version for entry in self._entries.values()), default=0)

    def stats(self) -> CacheStats:
        """Hits, misses, the snapshots' age and whether they are stale."""
        age = 0.0 if self._checked_at is None else max(0.0, self._clock() - self._checked_at)
        return CacheStats(
            version=self.current_version(),
            age_seconds=age,
            stale=self._stale,
            hits=self._hits,
            misses=self._misses,
            last_error=self._last_error if self._stale else None,
        )

    # -------------------------------------------------------------- change signals

    def invalidate(self) -> None:
        """A write in this process committed: rebuild before serving again (read-your-writes)."""
        with self._lock:
            self._generation += 1

    def notify(self, version: int | None = None) -> None:
        """Another process changed flag state (`version` if known): rebuild in the background."""
        if version is not None:
            if version <= self.current_version():
                return
            self._known_version = max(self._known_version, version)
        self._wakeup.set()

    def refresh(self) -> bool:
        """Ask the database for its version and rebuild every cached environment behind it.

        Returns:
            True if the database answered (whether or not anything was rebuilt).
        """
        try:
            version = self._store.version()
        except StorageUnavailable as exc:
            self._mark_unavailable(exc)
            return False
        self._mark_confirmed()
        for environment, entry in list(self._entries.items()):
            if entry.snapshot.version == version:
                continue
            try:
                self._build(environment, generation=entry.generation)
            except EnvironmentNotFound:
                with self._lock:
                    self._entries.pop(environment, None)
            except StorageUnavailable:
                return False
        return True

    # -------------------------------------------------------------- internals

    def _build(self, environment: str, generation: int | None = None) -> Snapshot:
        generation = self._generation if generation is None else generation
        try:
            state = self._store.load(environment)
        except EnvironmentNotFound:
            with self._lock:
                self._entries.pop(environment, None)
            raise
        except StorageUnavailable as exc:
            self._mark_unavailable(exc)
            raise
        states, left_out = servable_states(state.states)
        for problem in left_out:
            log.error("snapshot of %s: %s", environment, problem)
        snapshot = Snapshot(
            states, environment=environment, version=state.version, flags_enabled=self._flags_enabled
        )
        with self._lock:
            current = self._entries.get(environment)
            if (
                current is None
                or current.snapshot.version <= snapshot.version
                or current.generation < generation
            ):
                self._entries[environment] = _Entry(snapshot, generation)
                current = self._entries[environment]
            self._known_version = max(self._known_version, snapshot.version)
        self._mark_confirmed()
        return current.snapshot

    def _mark_confirmed(self) -> None:
        self._checked_at = self._clock()
        if self._stale:
            log.info("database reachable again; snapshots are current")
        self._stale = False

    def _mark_unavailable(self, exc: StorageUnavailable) -> None:
        if not self._stale:
            log.warning("database unreachable, serving the last good snapshots: %s", exc.detail)
        self._stale = True
        self._last_error = exc.detail

    def _expired(self) -> bool:
        return self._checked_at is not None and self._clock() - self._checked_at >= self._ttl

    def _sleep_seconds(self) -> float:
        if self._checked_at is None:
            return MAX_SLEEP_SECONDS
        remaining = self._ttl - (self._clock() - self._checked_at)
        if self._stale:
            remaining = min(remaining, 1.0)  # retry an unreachable database every second
        return min(max(remaining, 0.01), MAX_SLEEP_SECONDS)

    def _run(self) -> None:
        while not self._closing.is_set():
            signalled = self._wakeup.wait(self._sleep_seconds())
            self._wakeup.clear()
            if self._closing.is_set():
                return
            if not (signalled or self._expired() or self._stale) or not self._entries:
                continue
            try:
                self.refresh()
            except Exception:  # keep serving; the next signal or the TTL tries again
                log.exception("snapshot refresh failed")
