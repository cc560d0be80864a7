"""The composition root of the database-backed services: settings in, wired services out.

`build_container(settings)` builds the engine, the unit-of-work factory, the flag manager, the
audit log, the token service and the snapshot cache, and wires the cache to every committed
write (read-your-writes: a write returns once this process serves it) and to the change
watcher of the database (LISTEN/NOTIFY or `PRAGMA data_version`). Nothing starts until
`start()`: building a container opens no connection and starts no thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import Engine

from flagpilot.services.audit import AuditLog
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts import RolloutManager
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.services.tokens import TokenService
from flagpilot.services.users import UserService
from flagpilot.settings import Settings
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from flagpilot.storage.snapshot_store import SqlSnapshotStore
from flagpilot.storage.tokens import SqlTokenStore
from flagpilot.storage.users import SqlUserStore
from flagpilot.storage.watchers import change_watcher


@dataclass(slots=True)
class Container:
    """The wired services of one process.

    Attributes:
        settings: what the process was configured with.
        engine: the database engine (disposed by `close`).
        uow_factory: opens units of work; committed writes invalidate `snapshots`.
        flag_manager: flags, environment settings, kill switch, overrides.
        audit_log: the audit trail's queries and verification.
        snapshots: the snapshot cache (a `SnapshotProvider`).
        store: what the cache reads snapshots from.
        tokens: API tokens, stored hashed in `api_tokens`, creation and revocation audited.
        rollout_manager: the rollout lifecycle over the same units of work.
        users: admin UI users and their sessions.
    """

    settings: Settings
    engine: Engine
    uow_factory: SqlUnitOfWorkFactory
    flag_manager: FlagManager
    audit_log: AuditLog
    snapshots: SnapshotCache
    store: SqlSnapshotStore
    tokens: TokenService
    rollout_manager: RolloutManager
    users: UserService

    def start(self) -> None:
        """Build every snapshot, then start the cache's refresher and the change listener.

        Blocks until the snapshots are built: call it off the event loop.
        """
        self.snapshots.start()

    def close(self) -> None:
        """Stop the background threads and dispose of the engine's connections."""
        self.snapshots.close()
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_container(settings: Settings) -> Container:
    """Wire the services for `settings.database_url` (no connection is opened yet)."""
    engine = build_engine(
        settings.database_url,
        connect_timeout=settings.database_connect_timeout_seconds,
        statement_timeout=settings.database_statement_timeout_seconds,
    )
    uow_factory = SqlUnitOfWorkFactory(engine)
    store = SqlSnapshotStore(engine)
    snapshots = SnapshotCache(
        store,
        flags_enabled=settings.flags_enabled,
        ttl_seconds=settings.cache_ttl_seconds,
        poll_seconds=settings.poll_seconds,
        watcher=change_watcher(engine, listen=settings.listen),
    )
    uow_factory.add_commit_listener(snapshots.written)
    flag_manager = FlagManager(uow_factory)

    def environment_exists(name: str) -> bool:
        return any(environment.name == name for environment in flag_manager.list_environments())

    return Container(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        flag_manager=flag_manager,
        audit_log=AuditLog(uow_factory),
        snapshots=snapshots,
        store=store,
        tokens=TokenService(SqlTokenStore(uow_factory), environment_exists=environment_exists),
        rollout_manager=RolloutManager(uow_factory),
        users=UserService(SqlUserStore(uow_factory)),
    )
