"""The server's composition root: the database services plus the serving parts.

`build_container(settings)` builds the `DatabaseServices` (engine, unit of work, flag manager,
audit log, tokens, rollouts, users) and the snapshot cache, and wires the cache to every
committed write (read-your-writes: a write returns once this process serves it) and to the
change watcher of the database (LISTEN/NOTIFY or `PRAGMA data_version`). Nothing starts until
`start()`: building a container opens no connection and starts no thread. CLI commands build
only the `DatabaseServices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flagpilot.server.database_services import DatabaseServices, build_database_services
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.settings import Settings
from flagpilot.storage.snapshot_store import SqlSnapshotStore
from flagpilot.storage.watchers import change_watcher


@dataclass(slots=True)
class Container(DatabaseServices):
    """The wired services of one server process: the database services and the serving parts.

    Attributes (beside `DatabaseServices`'):
        snapshots: the snapshot cache (a `SnapshotProvider`); committed writes invalidate it.
        store: what the cache reads snapshots from.
    """

    snapshots: SnapshotCache
    store: SqlSnapshotStore

    def start(self) -> None:
        """Build every snapshot, then start the cache's refresher and the change listener.

        Blocks until the snapshots are built: call it off the event loop.
        """
        self.snapshots.start()

    def close(self) -> None:
        """Stop the background threads and dispose of the engine's connections."""
        self.snapshots.close()
        self.engine.dispose()


def build_container(settings: Settings) -> Container:
    """Wire the services and the snapshot cache for `settings.database_url` (nothing starts)."""
    services = build_database_services(settings)
    store = SqlSnapshotStore(services.engine)
    snapshots = SnapshotCache(
        store,
        flags_enabled=settings.flags_enabled,
        ttl_seconds=settings.cache_ttl_seconds,
        poll_seconds=settings.poll_seconds,
        watcher=change_watcher(services.engine, listen=settings.listen),
    )
    services.uow_factory.add_commit_listener(snapshots.written)
    return Container(
        settings=services.settings,
        engine=services.engine,
        uow_factory=services.uow_factory,
        flag_manager=services.flag_manager,
        audit_log=services.audit_log,
        tokens=services.tokens,
        rollout_manager=services.rollout_manager,
        users=services.users,
        snapshots=snapshots,
        store=store,
    )
