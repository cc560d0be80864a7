"""Compiled snapshots per environment, held in memory and kept current without blocking requests.

Once started (a server), the cache is refreshed by one background thread and `get` is a dict
lookup that never touches the database and never waits for a rebuild:

- `start()` builds every environment before the process takes traffic;
- the refresher asks the database for its state version every `poll_seconds` (one primary-key
  read) and rebuilds each environment whose snapshot is older, off the request path; the new
  snapshot replaces the old one in one assignment, so a request sees one or the other, whole;
- a change watcher (LISTEN/NOTIFY on PostgreSQL, `PRAGMA data_version` on SQLite) wakes the
  refresher at once, so the poll only matters when a notification is lost;
- a write in this process calls `written()` after its commit, which waits until a refresh that
  started after the commit has finished: an admin write returns once this process serves it
  (read-your-writes), while every reader keeps being served the previous snapshot meanwhile;
- what follows the snapshots (the server's serving rollouts, which outcome events count toward)
  registers with `add_refresh_listener` and is brought up to date inside every refresh, before
  `written()` lets the writer go: read-your-writes then covers it too, and on another replica it
  moves in the same refresh as the snapshots;
- the time-to-live rebuilds a snapshot even if the version never moved: a last resort.

A rebuild reads every row but builds, checks and compiles only the flags whose rows changed
(the store hands back the same state object for the others, the snapshot keeps their compiled
form), so the cost of a write does not grow with the number of flags.

Not started (the CLI, tests), `get` builds on first use and after a local write, on the caller's
thread: there is no event loop to protect.

If the database cannot be reached, the last good snapshots keep being served; `stats()` says
`stale=True` with the error and how long ago the snapshots were last confirmed current, for
`/readyz` and `/metrics`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flagpilot.core import FlagState, Problem, Snapshot, servable_states
from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.services.ports import ChangeWatcher, SnapshotStore
from flagpilot.services.snapshots import CacheStats
from flagpilot.services.stored_records import StoredState

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
CATCH_UP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class _Entry:
    snapshot: Snapshot
    generation: int
    built_at: float


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a snapshot is built.

    A build allocates hundreds of thousands of objects that survive (rows, then the compiled
    snapshot), which makes the collector run full collections over the whole heap, each holding
    every thread — the event loop's included — for a hundred milliseconds or more. A build makes
    next to no cyclic garbage, so pausing the collector for its second costs nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class SnapshotCache:
    """A `SnapshotProvider` over a `SnapshotStore`.

    Args:
        store: reads an environment's state, the state version and the environments.
        flags_enabled: the master switch (`Settings.flags_enabled`), passed to every snapshot.
        ttl_seconds: a snapshot older than this is rebuilt even if the version did not move.
        poll_seconds: how often the refresher asks the database for its version.
        watcher: tells of changes made by other processes; None to rely on the poll alone.
        catch_up_seconds: longest `written()` waits for this process to serve a write.
        clock: monotonic seconds (a parameter so tests can move time).
    """

    def __init__(
        self,
        store: SnapshotStore,
        *,
        flags_enabled: bool = True,
        ttl_seconds: float = 300.0,
        poll_seconds: float = POLL_SECONDS,
        watcher: ChangeWatcher | None = None,
        catch_up_seconds: float = CATCH_UP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._flags_enabled = flags_enabled
        self._ttl = ttl_seconds
        self._poll = poll_seconds
        self._watcher = watcher
        self._catch_up = catch_up_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        # environment → flag key → (stored state, its servable form, what was left out of it)
        self._checked: dict[str, dict[str, tuple[FlagState, tuple[FlagState, ...], list[Problem]]]] = {}
        self._pending: frozenset[str] = frozenset()  # known environments not built yet
        self._generation = 0
        self._database_version = 0
        self._confirmed_at: float | None = None
        self._stale = False
        self._last_error: str | None = None
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._refreshes = threading.Condition()
        self._refreshes_started = 0
        self._refreshes_finished = 0
        self._listeners: tuple[Callable[[], object], ...] = ()
        self._wakeup = threading.Event()
        self._closing = threading.Event()
        self._worker: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Build every environment, then start the refresher and the change watcher.

        Blocks for the first build (call it before serving, off any event loop).
        """
        if self._worker is not None:
            return
        self._closing.clear()
        self.refresh()
        self._worker = threading.Thread(target=self._run, name="flagpilot-snapshots", daemon=True)
        self._worker.start()
        if self._watcher is not None:
            self._watcher.start(self.notify)

    def close(self) -> None:
        """Stop the watcher and the refresher; release writers waiting in `written()`."""
        if self._watcher is not None:
            self._watcher.stop()
        self._closing.set()
        self._wakeup.set()
        with self._refreshes:
            self._refreshes.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=5)
            self._worker = None

    @property
    def serving(self) -> bool:
        """Whether the refresher runs (then `get` never builds)."""
        return self._worker is not None

    # -------------------------------------------------------------- serving

    def get(self, environment: str) -> Snapshot:
        """The current snapshot of `environment`.

        Raises:
            EnvironmentNotFound: there is no such environment.
            StorageUnavailable: no snapshot of `environment` was ever built and the database
                cannot be reached (or, while serving, it is still being built).
        """
        entry = self._entries.get(environment)
        if self._worker is not None:
            if entry is None:
                self._missing(environment)
            self._hits += 1
            return entry.snapshot  # type: ignore[union-attr]  # _missing always raises
        if entry is not None and entry.generation == self._generation:
            self._hits += 1
            return entry.snapshot
        with self._build_lock:
            entry = self._entries.get(environment)
            if entry is not None and entry.generation == self._generation:
                self._hits += 1
                return entry.snapshot
            self._misses += 1
            try:
                return self._build(environment, self._generation)
            except StorageUnavailable:
                if entry is None:
                    raise
                # Serve the last good snapshot until the database answers again.
                self._publish(environment, _Entry(entry.snapshot, self._generation, entry.built_at))
                return entry.snapshot

    def _missing(self, environment: str) -> None:
        self._misses += 1
        if environment in self._pending or self._confirmed_at is None:
            raise StorageUnavailable(f"the snapshot of environment {environment!r} is not built yet")
        raise EnvironmentNotFound(f"environment {environment!r} does not exist")

    def current_version(self) -> int:
        """The newest version among the snapshots held."""
        return max((entry.snapshot.version for entry in self._entries.values()), default=0)

    def stats(self) -> CacheStats:
        """Versions, age, staleness and counters, for `/readyz` and `/metrics`."""
        confirmed = self._confirmed_at
        age = 0.0 if confirmed is None else max(0.0, self._clock() - confirmed)
        entries = self._entries
        return CacheStats(
            version=max((entry.snapshot.version for entry in entries.values()), default=0),
            age_seconds=age,
            stale=self._stale,
            hits=self._hits,
            misses=self._misses,
            last_error=self._last_error if self._stale else None,
            database_version=self._database_version,
            versions={name: entry.snapshot.version for name, entry in sorted(entries.items())},
            listening=None if self._watcher is None else self._watcher.healthy(),
        )

    # -------------------------------------------------------------- change signals

    def written(self) -> None:
        """A write in this process committed: return once this process serves it.

        Serving, this wakes the refresher and waits (at most `catch_up_seconds`) until a refresh
        that began after the commit has finished; readers are served the previous snapshots
        meanwhile. Not serving, the next `get` rebuilds.
        """
        if self._worker is None:
            self.invalidate()
            return
        with self._refreshes:
            target = self._refreshes_started + 1
            self._wakeup.set()
            if threading.current_thread() is self._worker or _on_event_loop():
                return  # waiting here would stall the refresher itself or every request
            finished = self._refreshes.wait_for(
                lambda: self._refreshes_finished >= target or self._closing.is_set(), self._catch_up
            )
        if not finished:
            log.warning("a write is not served yet after %.1f s; it will be shortly", self._catch_up)

    def invalidate(self) -> None:
        """Rebuild before serving again (a cache that is not serving builds on the next `get`)."""
        with self._lock:
            self._generation += 1
        self._wakeup.set()

    def notify(self, version: int | None = None) -> None:
        """Another process changed flag state (`version` if known): refresh in the background."""
        if version is not None and version <= self.current_version():
            return
        self._wakeup.set()

    def refresh(self) -> bool:
        """Ask the database for its version and rebuild every environment behind it.

        Returns:
            True if the database answered and every environment is current.
        """
        with self._refresh_lock:
            with self._refreshes:
                self._refreshes_started += 1
                number = self._refreshes_started
            try:
                current = self._refresh()
                if current:
                    self._tell_listeners()
                return current
            finally:
                with self._refreshes:
                    self._refreshes_finished = number
                    self._refreshes.notify_all()

    def add_refresh_listener(self, listener: Callable[[], object]) -> None:
        """Call `listener` at the end of every refresh that reached the database.

        It runs on the refreshing thread, after the new snapshots are published and before the
        writers waiting in `written()` are released, so whatever it brings up to date is as
        current as the snapshots when a write returns. An exception it raises is logged and
        does not fail the refresh; the next refresh calls it again.
        """
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove_refresh_listener(self, listener: Callable[[], object]) -> None:
        """Stop calling `listener` (one not added is ignored)."""
        with self._lock:
            self._listeners = tuple(known for known in self._listeners if known != listener)

    # -------------------------------------------------------------- internals

    def _tell_listeners(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # one follower's failure must not stop serving the snapshots
                log.exception("a snapshot refresh listener failed")

    def _refresh(self) -> bool:
        began = self._clock()
        generation = self._generation
        try:
            version = self._store.version()
            names = self._store.environments()
        except StorageUnavailable as exc:
            self._mark_unavailable(exc)
            return False
        self._database_version = max(self._database_version, version)
        with self._lock:
            self._pending = frozenset(names) - self._entries.keys()
            if self._entries.keys() - set(names):  # environments that no longer exist
                self._entries = {k: v for k, v in self._entries.items() if k in names}
        behind = [name for name in names if not self._current(name, version, generation, began)]
        if behind:
            try:  # one transaction for every environment: a write costs the same however many
                with _collector_paused():
                    stored = {state.environment: state for state in self._store.load_all()}
            except StorageUnavailable as exc:
                self._mark_unavailable(exc)
                return False
            for name in behind:
                if name in stored:
                    self._build(name, generation, stored[name])
        self._confirm(began)
        return True

    def _current(self, name: str, version: int, generation: int, began: float) -> bool:
        entry = self._entries.get(name)
        return (
            entry is not None
            and entry.snapshot.version >= version
            and entry.generation == generation
            and began - entry.built_at < self._ttl
        )

    def _build(self, environment: str, generation: int, stored: StoredState | None = None) -> Snapshot:
        """Build `environment` from `stored`, or from a load of its own if not given."""
        built_at = self._clock()
        try:
            with _collector_paused():
                state = self._store.load(environment) if stored is None else stored
                states, left_out = self._servable(environment, state.states)
                earlier = self._entries.get(environment)
                snapshot = Snapshot(
                    states,
                    environment=environment,
                    version=state.version,
                    flags_enabled=self._flags_enabled,
                    previous=None if earlier is None else earlier.snapshot,
                )
        except EnvironmentNotFound:
            with self._lock:
                self._entries = {k: v for k, v in self._entries.items() if k != environment}
            raise
        except StorageUnavailable as exc:
            self._mark_unavailable(exc)
            raise
        for problem in left_out:
            log.error("snapshot of %s: %s", environment, problem)
        entry = _Entry(snapshot, generation, built_at)
        with self._lock:
            current = self._entries.get(environment)
            if (
                current is not None
                and current.generation >= generation
                and current.snapshot.version > snapshot.version
            ):
                entry = current  # a concurrent build published a newer one
            else:
                self._entries = {**self._entries, environment: entry}
                self._pending = self._pending - {environment}
            self._database_version = max(self._database_version, snapshot.version)
        if self._worker is None:
            self._confirm(built_at)
        return entry.snapshot

    def _servable(
        self, environment: str, stored: tuple[FlagState, ...]
    ) -> tuple[tuple[FlagState, ...], list[Problem]]:
        """`servable_states` of `stored`, checking again only the states that are not the very
        objects checked at the last build (a store hands back the same object for unchanged rows)."""
        earlier = self._checked.get(environment, {})
        checked: dict[str, tuple[FlagState, tuple[FlagState, ...], list[Problem]]] = {}
        for state in stored:
            found = earlier.get(state.key)
            if found is None or found[0] is not state:
                found = (state, *servable_states((state,)))
            checked[state.key] = found
        self._checked = {**self._checked, environment: checked}
        kept = tuple(served for _, served_states, _ in checked.values() for served in served_states)
        return kept, [problem for _, _, problems in checked.values() for problem in problems]

    def _publish(self, environment: str, entry: _Entry) -> None:
        with self._lock:
            self._entries = {**self._entries, environment: entry}

    def _confirm(self, at: float) -> None:
        self._confirmed_at = at if self._confirmed_at is None else max(self._confirmed_at, at)
        if self._stale:
            log.info("database reachable again; snapshots are current")
        self._stale = False

    def _mark_unavailable(self, exc: StorageUnavailable) -> None:
        if not self._stale:
            log.warning("database unreachable, serving the last good snapshots: %s", exc.detail)
        self._stale = True
        self._last_error = exc.detail

    def _run(self) -> None:
        while not self._closing.is_set():
            self._wakeup.wait(self._poll)
            self._wakeup.clear()
            if self._closing.is_set():
                return
            try:
                self.refresh()
            except Exception:  # keep serving; the next signal or poll tries again
                log.exception("snapshot refresh failed")
