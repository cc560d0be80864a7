"""Reads the whole flag state of one environment, or of all at once, for snapshots: seven bulk
queries in one transaction either way.

Only what changed is built: the states of flags whose rows are as they were at the last load
are handed back as the very same objects.

On PostgreSQL the queries run in a REPEATABLE READ transaction, so the version and the rows
belong to the same committed state; on SQLite a read transaction is a snapshot already.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, Text, bindparam, cast, select
from sqlalchemy.exc import DBAPIError

from flagpilot.core import (
    UNSET,
    EnvironmentConfig,
    FlagDefinition,
    FlagState,
    FlagType,
    FlagValue,
    Rollout,
    frozen_mapping,
)
from flagpilot.services.errors import EnvironmentNotFound, StorageUnavailable
from flagpilot.services.stored_records import OverrideScope, StoredState
from flagpilot.storage.dialect import translate
from flagpilot.storage.engine import is_postgresql, json_value
from flagpilot.storage.models import StateVersion
from flagpilot.storage.repositories.flags import ENVIRONMENTS, FLAGS, SETTINGS
from flagpilot.storage.repositories.overrides import SHAPES
from flagpilot.storage.repositories.rollouts import ROLLOUTS, rollout_record

_VERSION = select(StateVersion.version).where(StateVersion.id == 1)
_NAMES = select(ENVIRONMENTS.c.name).order_by(ENVIRONMENTS.c.name)
_EXISTS = select(ENVIRONMENTS.c.name).where(ENVIRONMENTS.c.name == bindparam("name"))
# JSON columns are read as their stored text: text compares strictly (`1`, `1.0` and `true` are
# equal in Python but different values), and only the rows of a changed flag are parsed.
_DEFINITION_COLUMNS = (
    FLAGS.c.key,
    FLAGS.c.type,
    cast(FLAGS.c.default_value, Text),
    FLAGS.c.phase,
    FLAGS.c.description,
    cast(FLAGS.c.prerequisites, Text),
)
_SETTING_COLUMNS = (
    SETTINGS.c.flag_key,
    SETTINGS.c.killed,
    SETTINGS.c.has_value,
    cast(SETTINGS.c.value, Text),
)

_Texts = dict[str, str | None]
_Signature = tuple[
    tuple[Any, ...],
    tuple[Any, ...] | None,
    Rollout | None,
    _Texts | None,
    _Texts | None,
    dict[str, str] | None,
]
"""Everything a flag state is built from, as read: the definition row, the setting row, the
rollout, the organization and the customer overrides (subject → JSON text), and the organization
each customer override was recorded in."""


def _parsed(text: str | None) -> FlagValue:
    return None if text is None else json_value(text)


_Grouped = dict[str, dict[str, Any]]
"""Environment → flag key → what a query read for that flag there."""


def _only(statement: Select[Any], column: Any, environment: str | None) -> Select[Any]:
    return statement if environment is None else statement.where(column == environment)


def _settings(connection: Connection, environment: str | None) -> _Grouped:
    grouped: _Grouped = defaultdict(dict)
    statement = _only(select(SETTINGS.c.environment, *_SETTING_COLUMNS), SETTINGS.c.environment, environment)
    for row in connection.execute(statement):
        grouped[row[0]][row[1]] = tuple(row[2:])
    return grouped


def _rollouts(connection: Connection, environment: str | None) -> _Grouped:
    grouped: _Grouped = defaultdict(dict)
    for row in connection.execute(_only(select(ROLLOUTS), ROLLOUTS.c.environment, environment)):
        grouped[row.environment][row.feature_name] = rollout_record(row).to_core()
    return grouped


def _override_texts(connection: Connection, scope: OverrideScope, environment: str | None) -> _Grouped:
    shape = SHAPES[scope]
    table = shape.table
    statement = select(table.c.environment, table.c.feature_name, shape.subject, cast(table.c.value, Text))
    rows = connection.execute(_only(statement, table.c.environment, environment)).all()
    grouped: _Grouped = defaultdict(lambda: defaultdict(dict))
    for name, flag_key, subject, value in rows:
        grouped[name][flag_key][subject] = value
    return grouped


def _customer_organizations(connection: Connection, environment: str | None) -> _Grouped:
    """Environment → flag key → customer id → the organization the customer's override was
    recorded in."""
    table = SHAPES[OverrideScope.CUSTOMER].table
    columns = (table.c.environment, table.c.feature_name, table.c.customer_id, table.c.organization_id)
    statement = select(*columns).where(table.c.organization_id.is_not(None))
    statement = _only(statement, table.c.environment, environment)
    grouped: _Grouped = defaultdict(lambda: defaultdict(dict))
    for row in connection.execute(statement):
        if row.organization_id:
            grouped[row.environment][row.feature_name][row.customer_id] = row.organization_id
    return grouped


def _overrides(texts: _Texts | None) -> Mapping[str, FlagValue]:
    return frozen_mapping(None if texts is None else {subject: _parsed(t) for subject, t in texts.items()})


def _state(signature: _Signature) -> FlagState:
    definition_row, setting, rollout, organizations, customers, recorded = signature
    key, type_, default, phase, description, prerequisites = definition_row
    definition = FlagDefinition(
        key=key,
        type=FlagType(type_),
        default=_parsed(default),
        phase=phase,
        description=description,
        prerequisites=tuple(_parsed(prerequisites) or ()),
    )
    killed, has_value, value = (False, False, None) if setting is None else setting
    config = EnvironmentConfig(
        killed=bool(killed),
        value=_parsed(value) if has_value else UNSET,
        rollout=rollout,
        organization_overrides=_overrides(organizations),
        customer_overrides=_overrides(customers),
        customer_organizations=frozen_mapping(recorded),
    )
    return FlagState(definition, config)


_Built = dict[str, tuple[_Signature, FlagState]]
"""Flag key → the signature a state was built from, and the state."""


@dataclass(frozen=True, slots=True)
class _Rows:
    """What one transaction read for a set of environments, grouped by environment."""

    version: int
    flags: list[Row[Any]]
    settings: _Grouped
    rollouts: _Grouped
    organizations: _Grouped
    customers: _Grouped
    recorded_in: _Grouped


def _rows(connection: Connection, environment: str | None) -> _Rows:
    version = int(connection.execute(_VERSION).scalar_one())
    flags = connection.execute(
        select(*_DEFINITION_COLUMNS).where(FLAGS.c.archived.is_(False)).order_by(FLAGS.c.key)
    ).all()
    return _Rows(
        version,
        list(flags),
        _settings(connection, environment),
        _rollouts(connection, environment),
        _override_texts(connection, OverrideScope.ORGANIZATION, environment),
        _override_texts(connection, OverrideScope.CUSTOMER, environment),
        _customer_organizations(connection, environment),
    )


def _assemble(rows: _Rows, environment: str, built: _Built) -> tuple[StoredState, _Built]:
    """The states of `environment`, handing back the `built` state of every flag whose rows are
    as they were (the snapshot then keeps its compiled form)."""
    settings = rows.settings.get(environment, {})
    rollouts = rows.rollouts.get(environment, {})
    organizations = rows.organizations.get(environment, {})
    customers = rows.customers.get(environment, {})
    recorded_in = rows.recorded_in.get(environment, {})
    states = []
    now_built: _Built = {}
    for row in rows.flags:
        key = row[0]
        signature: _Signature = (
            tuple(row),
            settings.get(key),
            rollouts.get(key),
            organizations.get(key),
            customers.get(key),
            recorded_in.get(key),
        )
        earlier = built.get(key)
        state = earlier[1] if earlier is not None and earlier[0] == signature else _state(signature)
        now_built[key] = (signature, state)
        states.append(state)
    return StoredState(environment=environment, version=rows.version, states=tuple(states)), now_built


class SqlSnapshotStore:
    """`SnapshotStore` over the flag tables.

    Args:
        engine: the database; every call takes a pooled connection for its duration only.

    A store remembers the rows each environment's states were built from: a load hands back the
    very same `FlagState` for a flag whose rows did not change (the snapshot then keeps its
    compiled form), and builds anew only what changed.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._built: dict[str, _Built] = {}
        self._lock = threading.Lock()

    def _connect(self) -> Connection:
        connection = self._engine.connect()
        if is_postgresql(connection):
            connection.execution_options(isolation_level="REPEATABLE READ")
        return connection

    def load(self, environment: str) -> StoredState:
        """Every served flag of `environment` and the state version, read consistently."""
        try:
            with self._connect() as connection, connection.begin():
                if connection.execute(_EXISTS, {"name": environment}).first() is None:
                    raise EnvironmentNotFound(f"environment {environment!r} does not exist")
                rows = _rows(connection, environment)
        except EnvironmentNotFound:
            with self._lock:
                self._built.pop(environment, None)
            raise
        except DBAPIError as exc:
            raise StorageUnavailable(translate(exc).detail) from exc
        return self._states(rows, [environment])[0]

    def load_all(self) -> list[StoredState]:
        """Every environment's served flags at one state version, in one transaction of seven
        queries, however many environments there are; by environment name."""
        try:
            with self._connect() as connection, connection.begin():
                names = list(connection.execute(_NAMES).scalars())
                rows = _rows(connection, None)
        except DBAPIError as exc:
            raise StorageUnavailable(translate(exc).detail) from exc
        with self._lock:
            self._built = {name: built for name, built in self._built.items() if name in names}
        return self._states(rows, names)

    def _states(self, rows: _Rows, names: list[str]) -> list[StoredState]:
        states = []
        for name in names:
            state, built = _assemble(rows, name, self._built.get(name, {}))
            with self._lock:
                self._built[name] = built
            states.append(state)
        return states

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
                return list(connection.execute(_NAMES).scalars())
        except DBAPIError as exc:
            raise StorageUnavailable(translate(exc).detail) from exc
