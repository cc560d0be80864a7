"""What the serving side needs from the snapshot cache: current snapshots and their health."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from flagpilot.core import Snapshot
from flagpilot.services.errors import EnvironmentNotFound


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Health of the snapshot cache, for `/readyz` and `/metrics`.

    Attributes:
        version: the newest snapshot version held.
        age_seconds: seconds since the database last confirmed the snapshots current.
        stale: True when the database could not be reached and old snapshots are being served.
        hits: `get` calls answered from memory.
        misses: `get` calls that had to build a snapshot.
        last_error: the last error reaching the database, if stale.
        database_version: the newest state version the database was seen at.
        versions: the version of each environment's snapshot held.
        listening: whether change notifications arrive (the self-addressed echo came back);
            None where there is no listener to judge.
    """

    version: int
    age_seconds: float
    stale: bool
    hits: int
    misses: int
    last_error: str | None = None
    database_version: int = 0
    versions: Mapping[str, int] = field(default_factory=dict)
    listening: bool | None = None


class SnapshotProvider(Protocol):
    """Serves compiled snapshots per environment without touching the database per request."""

    def get(self, environment: str) -> Snapshot:
        """The current snapshot of `environment`; raises `EnvironmentNotFound` if unknown."""
        ...

    def current_version(self) -> int:
        """The newest known version (cheap: for change streams to poll)."""
        ...

    def stats(self) -> CacheStats:
        """Cache health and counters."""
        ...


class RefreshSignal(Protocol):
    """Calls listeners after each refresh of the snapshots (the `SnapshotCache` is one)."""

    def add_refresh_listener(self, listener: Callable[[], object]) -> None:
        """Call `listener`, on the refreshing thread, after every refresh."""
        ...

    def remove_refresh_listener(self, listener: Callable[[], object]) -> None:
        """Stop calling `listener`."""
        ...


class StaticSnapshotProvider:
    """A provider over fixed snapshots: the preset without a database, and tests of the API."""

    def __init__(self, snapshots: dict[str, Snapshot]) -> None:
        self._snapshots = dict(snapshots)
        self._hits = 0

    def get(self, environment: str) -> Snapshot:
        """The snapshot of `environment`."""
        snapshot = self._snapshots.get(environment)
        if snapshot is None:
            raise EnvironmentNotFound(f"environment {environment!r} does not exist")
        self._hits += 1
        return snapshot

    def replace(self, snapshot: Snapshot) -> None:
        """Swap in a new snapshot for its environment."""
        self._snapshots[snapshot.environment] = snapshot

    def current_version(self) -> int:
        """The highest version among the snapshots held."""
        return max((s.version for s in self._snapshots.values()), default=0)

    def stats(self) -> CacheStats:
        """Always fresh: nothing to go stale."""
        return CacheStats(
            version=self.current_version(),
            age_seconds=0.0,
            stale=False,
            hits=self._hits,
            misses=0,
            database_version=self.current_version(),
            versions={name: s.version for name, s in sorted(self._snapshots.items())},
        )
