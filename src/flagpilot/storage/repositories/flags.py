"""Flags, environments and per-environment flag settings, on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, Text, select, update
from sqlalchemy import cast as sql_cast

from flagpilot.core import UNSET, FlagDefinition, FlagType
from flagpilot.services.errors import AlreadyExists, FlagNotFound, VersionConflict
from flagpilot.services.stored_records import EnvironmentRecord, FlagRecord, FlagSetting
from flagpilot.storage.dialect import upsert
from flagpilot.storage.engine import json_value
from flagpilot.storage.models import Environment, Flag, FlagEnvironment

FLAGS = cast(Table, Flag.__table__)
ENVIRONMENTS = cast(Table, Environment.__table__)
SETTINGS = cast(Table, FlagEnvironment.__table__)


def definition_from_row(row: Row[Any]) -> FlagDefinition:
    """A flag definition from a `flags` row."""
    return FlagDefinition(
        key=row.key,
        type=FlagType(row.type),
        default=row.default_value,
        phase=row.phase,
        description=row.description,
        prerequisites=tuple(row.prerequisites or ()),
    )


def _record(row: Row[Any]) -> FlagRecord:
    return FlagRecord(
        definition=definition_from_row(row),
        archived=bool(row.archived),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def setting_from_row(row: Row[Any]) -> FlagSetting:
    """A flag's settings from a `flag_environments` row."""
    return FlagSetting(
        flag_key=row.flag_key,
        environment=row.environment,
        killed=bool(row.killed),
        value=row.value if row.has_value else UNSET,
    )


def _definition_values(definition: FlagDefinition) -> dict[str, Any]:
    return {
        "type": definition.type.value,
        "default_value": definition.default,
        "phase": definition.phase,
        "description": definition.description,
        "prerequisites": list(definition.prerequisites),
    }


class SqlFlagRepository:
    """`FlagRepository` over the `flags` table; rows it writes carry the unit of work's `now`."""

    def __init__(self, connection: Connection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    def get(self, key: str) -> FlagRecord | None:
        """The flag `key`, or None."""
        row = self._connection.execute(select(FLAGS).where(FLAGS.c.key == key)).first()
        return None if row is None else _record(row)

    def list(self, *, include_archived: bool = True) -> list[FlagRecord]:
        """Every flag, by key."""
        statement = select(FLAGS).order_by(FLAGS.c.key)
        if not include_archived:
            statement = statement.where(FLAGS.c.archived.is_(False))
        return [_record(row) for row in self._connection.execute(statement)]

    def requiring(self, key: str) -> tuple[str, ...]:
        """The keys of the unarchived flags that name `key` among their prerequisites, by key.

        Only the flags with any prerequisite are read (few, in practice), so creating a flag
        does not read every flag.
        """
        texts = sql_cast(FLAGS.c.prerequisites, Text)
        rows = self._connection.execute(
            select(FLAGS.c.key, texts)
            .where(FLAGS.c.archived.is_(False), texts.is_not(None), texts.not_in(["[]", "null"]))
            .order_by(FLAGS.c.key)
        )
        return tuple(other for other, prerequisites in rows if key in (json_value(prerequisites) or ()))

    def add(self, definition: FlagDefinition) -> FlagRecord:
        """Store a new flag at version 1."""
        if self.get(definition.key) is not None:
            raise AlreadyExists(f"flag {definition.key!r} already exists")
        now = self._now
        self._connection.execute(
            FLAGS.insert().values(
                key=definition.key,
                archived=False,
                version=1,
                created_at=now,
                updated_at=now,
                **_definition_values(definition),
            )
        )
        return FlagRecord(definition=definition, version=1, created_at=now, updated_at=now)

    def _bump(self, key: str, expected_version: int | None, values: dict[str, Any]) -> int:
        statement = update(FLAGS).where(FLAGS.c.key == key)
        if expected_version is not None:
            statement = statement.where(FLAGS.c.version == expected_version)
        statement = statement.values(version=FLAGS.c.version + 1, updated_at=self._now, **values)
        version = self._connection.execute(statement.returning(FLAGS.c.version)).scalar()
        if version is not None:
            return int(version)
        current = self.get(key)
        if current is None:
            raise FlagNotFound(f"flag {key!r} does not exist")
        raise VersionConflict(
            f"flag {key!r} is at version {current.version}, not {expected_version}: "
            "it was changed meanwhile; reload it and try again",
            current_version=current.version,
        )

    def save(self, definition: FlagDefinition, *, archived: bool, expected_version: int | None) -> FlagRecord:
        """Replace the definition and bump the version."""
        values = _definition_values(definition)
        self._bump(definition.key, expected_version, {**values, "archived": archived})
        record = self.get(definition.key)
        if record is None:  # removed between the update and the read: as if it never existed
            raise FlagNotFound(f"flag {definition.key!r} does not exist")
        return record

    def touch(self, key: str, expected_version: int | None) -> int:
        """Bump the version of flag `key`."""
        return self._bump(key, expected_version, {})

    def touch_many(self, keys: Sequence[str]) -> None:
        """Bump the version of every flag of `keys`, in one statement."""
        if keys:
            self._connection.execute(
                update(FLAGS)
                .where(FLAGS.c.key.in_(list(keys)))
                .values(version=FLAGS.c.version + 1, updated_at=self._now)
            )


class SqlEnvironmentRepository:
    """`EnvironmentRepository` over `environments` and `flag_environments`; rows it writes carry
    the unit of work's `now`."""

    def __init__(self, connection: Connection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    def list(self) -> list[EnvironmentRecord]:
        """Every environment, by name."""
        rows = self._connection.execute(select(ENVIRONMENTS).order_by(ENVIRONMENTS.c.name))
        return [EnvironmentRecord(row.name, row.description) for row in rows]

    def get(self, name: str) -> EnvironmentRecord | None:
        """The environment `name`, or None."""
        row = self._connection.execute(select(ENVIRONMENTS).where(ENVIRONMENTS.c.name == name)).first()
        return None if row is None else EnvironmentRecord(row.name, row.description)

    def add(self, record: EnvironmentRecord) -> None:
        """Store a new environment."""
        if self.get(record.name) is not None:
            raise AlreadyExists(f"environment {record.name!r} already exists")
        self._connection.execute(
            ENVIRONMENTS.insert().values(
                name=record.name, description=record.description, created_at=self._now
            )
        )

    def settings(self, flag_key: str) -> dict[str, FlagSetting]:
        """The flag's settings by environment."""
        rows = self._connection.execute(select(SETTINGS).where(SETTINGS.c.flag_key == flag_key))
        return {row.environment: setting_from_row(row) for row in rows}

    def settings_in(self, environment: str) -> dict[str, FlagSetting]:
        """Every flag's settings in `environment`, by flag key."""
        rows = self._connection.execute(select(SETTINGS).where(SETTINGS.c.environment == environment))
        return {row.flag_key: setting_from_row(row) for row in rows}

    def put_setting(self, setting: FlagSetting) -> None:
        """Create or replace the settings of a flag in an environment."""
        self.put_settings([setting])

    def put_settings(self, settings: Sequence[FlagSetting]) -> None:
        """Create or replace each of `settings`, in one statement (executemany)."""
        if not settings:
            return
        statement = upsert(
            self._connection,
            SETTINGS,
            ("flag_key", "environment"),
            ("killed", "has_value", "value", "updated_at"),
        )
        now = self._now
        self._connection.execute(
            statement,
            [
                {
                    "flag_key": setting.flag_key,
                    "environment": setting.environment,
                    "killed": setting.killed,
                    "has_value": setting.has_value,
                    "value": setting.value if setting.has_value else None,
                    "updated_at": now,
                }
                for setting in settings
            ],
        )
