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
from flagpilot.services.alert_acknowledgements import AcknowledgementStore
from flagpilot.services.evaluations import EvaluationLog
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.settings import Settings
from flagpilot.storage.shared_state import SqlAcknowledgements, SqlEvaluationStore
from flagpilot.storage.snapshot_store import SqlSnapshotStore
from flagpilot.storage.watchers import change_watcher


@dataclass(slots=True)
class Container(DatabaseServices):
    """The wired services of one server process: the database services and the serving parts.

    Attributes (beside `DatabaseServices`'):
        snapshots: the snapshot cache (a `SnapshotProvider`); committed writes invalidate it.
        store: what the cache reads snapshots from.
        acknowledgements: which rollout alerts someone has seen, shared by every replica.
        evaluations: evaluations counted by the serving routes, flushed to the database
            (`FLAGPILOT_EVALUATION_FLUSH_SECONDS`, default 60) for the flags page's stale mark.
    """

    snapshots: SnapshotCache
    store: SqlSnapshotStore
    acknowledgements: AcknowledgementStore
    evaluations: EvaluationLog

    def start(self) -> None:
        """Build every snapshot, then start the cache's refresher, the change listener and the
        evaluation flusher.

        Blocks until the snapshots are built: call it off the event loop.
        """
        self.snapshots.start()
        self.evaluations.start()

    def close(self) -> None:
        """Stop the background threads (flushing the evaluation counts) and dispose of the
        engine's connections."""
        self.evaluations.close()
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
        acknowledgements=SqlAcknowledgements(services.uow_factory),
        evaluations=EvaluationLog(
            SqlEvaluationStore(services.engine),
            interval=settings.evaluation_flush_seconds,
        ),
    )
