"""The database-backed services without the serving parts: what a CLI command needs.

`build_database_services(settings)` wires the engine, the unit-of-work factory and the services
over it (flags, audit, tokens, rollouts, users). It builds no snapshot cache, change watcher or
web application, so `flagpilot rollout advance` costs one engine and one transaction; the
server's `Container` is these services plus the serving parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import Engine

from flagpilot.services.audit import AuditLog
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts import RolloutManager
from flagpilot.services.tokens import TokenService
from flagpilot.services.users import UserService
from flagpilot.settings import Settings
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from flagpilot.storage.shared_state import SqlLoginFailures
from flagpilot.storage.users import SqlUserStore


@dataclass(slots=True)
class DatabaseServices:
    """The services over one database.

    Attributes:
        settings: what the process was configured with.
        engine: the database engine (disposed by `close`).
        uow_factory: opens units of work.
        flag_manager: flags, environment settings, kill switch, overrides.
        audit_log: the audit trail's queries and verification.
        tokens: API tokens, stored hashed in `api_tokens`, creation and revocation audited.
        rollout_manager: the rollout lifecycle over the same units of work.
        users: admin UI users and their sessions (failed sign-ins counted in the database).
    """

    settings: Settings
    engine: Engine
    uow_factory: SqlUnitOfWorkFactory
    flag_manager: FlagManager
    audit_log: AuditLog
    tokens: TokenService
    rollout_manager: RolloutManager
    users: UserService

    def close(self) -> None:
        """Dispose of the engine's connections."""
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


def build_database_services(settings: Settings) -> DatabaseServices:
    """Wire the services for `settings.database_url` (no connection is opened yet)."""
    engine = build_engine(
        settings.database_url,
        connect_timeout=settings.database_connect_timeout_seconds,
        statement_timeout=settings.database_statement_timeout_seconds,
    )
    uow_factory = SqlUnitOfWorkFactory(engine)
    flag_manager = FlagManager(uow_factory)

    def environment_exists(name: str) -> bool:
        return any(environment.name == name for environment in flag_manager.list_environments())

    return DatabaseServices(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        flag_manager=flag_manager,
        audit_log=AuditLog(uow_factory),
        tokens=TokenService(uow_factory, environment_exists=environment_exists),
        rollout_manager=RolloutManager(uow_factory),
        users=UserService(SqlUserStore(uow_factory), failures=SqlLoginFailures(engine)),
    )
