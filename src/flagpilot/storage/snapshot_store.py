"""Reads one environment's whole flag state for a snapshot: seven bulk queries in one transaction.

On PostgreSQL the queries run in a REPEATABLE READ transaction, so the version and the rows
belong to the same committed state; on SQLite a read transaction is a snapshot already.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from flagpilot.core import UNSET, EnvironmentConfig, FlagState, FlagValue, Rollout, frozen_mapping
from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.services.records import OverrideScope, StoredState
from flagpilot.storage.dialect import translate
from flagpilot.storage.models import StateVersion
from flagpilot.storage.repositories.flags import ENVIRONMENTS, FLAGS, SETTINGS, definition_from_row
from flagpilot.storage.repositories.overrides import SHAPES
from flagpilot.storage.repositories.rollouts import ROLLOUTS, rollout_record

_VERSION = select(StateVersion.version).where(StateVersion.id == 1)


def _overrides(
    connection: Connection, scope: OverrideScope, environment: str
) -> dict[str, dict[str, FlagValue]]:
    shape = SHAPES[scope]
    table = shape.table
    rows = connection.execute(
        select(table.c.feature_name, shape.subject, table.c.value).where(table.c.environment == environment)
    ).all()
    grouped: dict[str, dict[str, FlagValue]] = defaultdict(dict)
    for flag_key, subject, value in rows:
        grouped[flag_key][subject] = value
    return grouped


def _customer_organizations(connection: Connection, environment: str) -> dict[str, dict[str, str]]:
    """Flag key → customer id → the organization the customer's override was recorded in."""
    table = SHAPES[OverrideScope.CUSTOMER].table
    rows = connection.execute(
        select(table.c.feature_name, table.c.customer_id, table.c.organization_id).where(
            table.c.environment == environment, table.c.organization_id.is_not(None)
        )
    ).all()
    grouped: dict[str, dict[str, str]] = defaultdict(dict)
    for flag_key, customer, organization in rows:
        if organization:
            grouped[flag_key][customer] = organization
    return grouped


def _read(connection: Connection, environment: str) -> StoredState:
    version = int(connection.execute(_VERSION).scalar_one())
    if (
        connection.execute(select(ENVIRONMENTS.c.name).where(ENVIRONMENTS.c.name == environment)).first()
        is None
    ):
        raise EnvironmentNotFound(f"environment {environment!r} does not exist")
    flags = connection.execute(select(FLAGS).where(FLAGS.c.archived.is_(False)).order_by(FLAGS.c.key)).all()
    settings = {
        row.flag_key: row
        for row in connection.execute(select(SETTINGS).where(SETTINGS.c.environment == environment))
    }
    rollouts: Mapping[str, Rollout] = {
        row.feature_name: rollout_record(row).to_core()
        for row in connection.execute(select(ROLLOUTS).where(ROLLOUTS.c.environment == environment))
    }
    organizations = _overrides(connection, OverrideScope.ORGANIZATION, environment)
    customers = _overrides(connection, OverrideScope.CUSTOMER, environment)
    recorded_in = _customer_organizations(connection, environment)
    states = []
    for row in flags:
        setting: Any = settings.get(row.key)
        config = EnvironmentConfig(
            killed=bool(setting is not None and setting.killed),
            value=setting.value if setting is not None and setting.has_value else UNSET,
            rollout=rollouts.get(row.key),
            organization_overrides=frozen_mapping(organizations.get(row.key)),
            customer_overrides=frozen_mapping(customers.get(row.key)),
            customer_organizations=frozen_mapping(recorded_in.get(row.key)),
        )
        states.append(FlagState(definition_from_row(row), config))
    return StoredState(environment=environment, version=version, states=tuple(states))


class SqlSnapshotStore:
    """`SnapshotStore` over the flag tables.

    Args:
        engine: the database; every call takes a pooled connection for its duration only.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _connect(self) -> Connection:
        connection = self._engine.connect()
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        return connection

    def load(self, environment: str) -> StoredState:
        """Every served flag of `environment` and the state version, read consistently."""
        try:
            with self._connect() as connection, connection.begin():
                return _read(connection, environment)
        except DBAPIError as exc:
            raise StorageUnavailable(translate(exc).detail) from exc

    def version(self) -> int:
        """The current state version."""
        try:
            with self._engine.connect() as connection:
                return int(connection.execute(_VERSION).scalar_one())
        except DBAPIError as exc:
            raise StorageUnavailable(translate(exc).detail) from exc

    def environments(self) -> list[str]:
        """The names of all environments."""
        try:
            with self._engine.connect() as connection:
                return list(
                    connection.execute(select(ENVIRONMENTS.c.name).order_by(ENVIRONMENTS.c.name)).scalars()
                )
        except DBAPIError as exc:
            raise StorageUnavailable(translate(exc).detail) from exc
