"""The unit of work: one transaction, its repositories, and the rules every write transaction follows.

A write unit of work, on entering:

1. on PostgreSQL locks the `state_version` row (`SELECT … FOR UPDATE`). Every write transaction,
   the application's and the change triggers' alike, takes that lock before it writes an audit
   row, so writes are serialised and the audit trail's id order is its chain order. Flag writes
   are rare; this costs nothing that matters and makes "the previous row" well defined. On
   SQLite, `BEGIN IMMEDIATE` serialises writers the same way.
2. inserts a marker row into `app_transactions`, deleted again just before commit, so the
   triggers can tell the application's changes from hand-written SQL (which they audit as actor
   `database`).
3. for an organization-scoped unit of work on PostgreSQL, switches to the `flagpilot_tenant`
   role and sets `app.organization_id`, so row-level security confines every query to that
   organization even if an application check is missed. The audit trail and the marker belong
   to no tenant: they are written with the confinement lifted for just that statement.

Leaving the `with` block without `commit()` rolls everything back. Database errors that escape
are translated into the services' errors (`StorageUnavailable`, `PermissionDenied`, `Conflict`,
`WriteContention` for a deadlock or serialization victim, which `services.contention` retries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from types import TracebackType
from typing import Self, cast

from sqlalchemy import Connection, Engine, Table, delete, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from flagpilot.services.clock import Clock, utc_now
from flagpilot.services.contention import note_commit
from flagpilot.services.ports import UnitOfWorkFactory
from flagpilot.storage.audit import SqlAuditTrail
from flagpilot.storage.dialect import translate
from flagpilot.storage.engine import WRITE_OPTION, is_postgresql
from flagpilot.storage.models import AppTransaction
from flagpilot.storage.repositories.flags import SqlEnvironmentRepository, SqlFlagRepository
from flagpilot.storage.repositories.overrides import SqlOverrideRepository
from flagpilot.storage.repositories.rollout_events import SqlRolloutEventLog
from flagpilot.storage.repositories.rollout_metrics import SqlMetricStore
from flagpilot.storage.repositories.rollouts import SqlRolloutRepository
from flagpilot.storage.repositories.tokens import SqlTokenRepository

TENANT_ROLE = "flagpilot_tenant"
MARKERS = cast(Table, AppTransaction.__table__)

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """A `UnitOfWork` on one connection.

    See the module docstring for its rules.

    Subclasses add repositories by overriding `_open_repositories` (call the parent first).
    """

    def __init__(
        self,
        engine: Engine,
        actor: str,
        organization_id: str | None = None,
        *,
        read_only: bool = False,
        on_commit: tuple[Callable[[], None], ...] = (),
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._now: datetime | None = None
        self._actor = actor
        self._organization_id = organization_id
        self._read_only = read_only
        self._on_commit = on_commit
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._marker: int | None = None
        self._done = False

    @property
    def actor(self) -> str:
        """Who makes the changes."""
        return self._actor

    @property
    def organization_id(self) -> str | None:
        """The organization this unit of work is confined to, if any."""
        return self._organization_id

    @property
    def now(self) -> datetime:
        """The moment of this unit of work, read once it holds the write lock: every row it writes
        carries this one time, so a change, its audit row and its `updated_at` agree."""
        if self._now is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._now

    @property
    def read_only(self) -> bool:
        """Whether this unit of work only reads."""
        return self._read_only

    @property
    def connection(self) -> Connection:
        """The connection, inside this unit of work's transaction."""
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._connection

    @property
    def session(self) -> Session:
        """An ORM session joined to this unit of work's transaction (committed with it)."""
        if self._session is None:
            self._session = Session(bind=self.connection, join_transaction_mode="conditional_savepoint")
        return self._session

    @property
    def _confined(self) -> bool:
        return self._organization_id is not None and is_postgresql(self.connection)

    def __enter__(self) -> Self:
        try:
            self._connection = self._engine.connect()
            if not self._read_only:
                self._connection.execution_options(**{WRITE_OPTION: True})
            self._begin()
            self._now = self._clock()
        except DBAPIError as exc:
            self._close()
            raise translate(exc) from exc
        self._open_repositories()
        return self

    def _begin(self) -> None:
        connection = self.connection
        postgresql = is_postgresql(connection)
        if self._read_only:
            if postgresql:
                connection.execute(text("SET TRANSACTION READ ONLY"))
        else:
            if postgresql:
                connection.execute(text("SELECT version FROM state_version WHERE id = 1 FOR UPDATE"))
            self._marker = connection.execute(
                insert(MARKERS).values(actor=self._actor[:128]).returning(MARKERS.c.id)
            ).scalar_one()
        if self._confined:
            self._confine()

    def _confine(self) -> None:
        self.connection.execute(text(f"SET LOCAL ROLE {TENANT_ROLE}"))
        self.connection.execute(
            text("SELECT set_config('app.organization_id', :organization, true)"),
            {"organization": self._organization_id},
        )

    @contextmanager
    def privileged(self) -> Iterator[None]:
        """Lift the organization confinement for the statements in the block (audit, marker)."""
        if not self._confined:
            yield
            return
        self.connection.execute(text("RESET ROLE"))
        self.connection.execute(text("SELECT set_config('app.organization_id', '', true)"))
        try:
            yield
        except BaseException:
            with suppress(DBAPIError):
                self._confine()
            raise
        self._confine()

    def _open_repositories(self) -> None:
        connection = self.connection
        now = self.now
        self.flags = SqlFlagRepository(connection, now)
        self.environments = SqlEnvironmentRepository(connection, now)
        self.overrides = SqlOverrideRepository(connection, self._actor, now, self._organization_id)
        self.rollouts = SqlRolloutRepository(connection, self._actor, now)
        self.audit = SqlAuditTrail(connection, self._actor, self.privileged, now)
        self.rollout_events = SqlRolloutEventLog(connection, now)
        self.metrics = SqlMetricStore(connection)
        self.tokens = SqlTokenRepository(connection)

    def commit(self) -> None:
        """Commit every change of this unit of work, then tell the commit listeners."""
        try:
            if self._session is not None:
                self._session.flush()
            if self._marker is not None:
                with self.privileged():
                    self.connection.execute(delete(MARKERS).where(MARKERS.c.id == self._marker))
            self.connection.commit()
        except DBAPIError as exc:
            raise translate(exc) from exc
        self._done = True
        note_commit()  # from now on a retry of the surrounding work would repeat this commit
        if not self._read_only:
            for listener in self._on_commit:
                try:
                    listener()
                except Exception:  # a listener must not make a committed change look failed
                    log.exception("commit listener %r failed", listener)

    def rollback(self) -> None:
        """Discard every change of this unit of work."""
        if self._connection is not None and not self._done:
            self._done = True
            with suppress(DBAPIError):
                self._connection.rollback()

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._connection is not None:
            with suppress(DBAPIError):
                self._connection.close()
            self._connection = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.rollback()
        self._close()
        if isinstance(exc, DBAPIError):
            raise translate(exc) from exc



def sql_unit(
    uow_factory: UnitOfWorkFactory, actor: str, *, read_only: bool = False, owner: str = "this store"
) -> SqlUnitOfWork:
    """A unit of work from `uow_factory` that offers its connection: stores that write tables
    outside the repositories (users, shared UI state) need one, so any other kind is a wiring error."""
    unit = uow_factory(actor, read_only=read_only)
    if not isinstance(unit, SqlUnitOfWork):
        raise TypeError(f"{owner} needs SQL units of work, not {type(unit).__name__}")
    return unit


class SqlUnitOfWorkFactory:
    """Opens `SqlUnitOfWork`s on one engine; tells listeners after each committed write.

    Args:
        engine: the database.
        unit_class: the unit-of-work class, for units with more repositories.
        clock: the one clock of the process; each unit of work reads it once (tests fix it).
    """

    def __init__(
        self, engine: Engine, unit_class: type[SqlUnitOfWork] = SqlUnitOfWork, *, clock: Clock = utc_now
    ) -> None:
        self.engine = engine
        self._unit_class = unit_class
        self._clock = clock
        self._listeners: list[Callable[[], None]] = []

    def add_commit_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every committed write unit of work (e.g. to drop caches)."""
        self._listeners.append(listener)

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> SqlUnitOfWork:
        """A new unit of work (enter it with `with`)."""
        return self._unit_class(
            self.engine,
            actor,
            organization_id,
            read_only=read_only,
            on_commit=tuple(self._listeners),
            clock=self._clock,
        )
