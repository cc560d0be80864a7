"""Customer and organization overrides; a bulk write is one statement (PostgreSQL) or one batch per
thousand rows (SQLite).

The two tables differ only in the subject column (`customer_id` or `organization_id`), so one
repository serves both, choosing the table by `OverrideScope`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import Column, Connection, Row, Table, delete, func, select, text, tuple_

from flagpilot.core import FlagValue
from flagpilot.services.errors import PermissionDenied
from flagpilot.services.stored_records import OverrideRecord, OverrideScope
from flagpilot.storage.dialect import upsert
from flagpilot.storage.engine import is_postgresql, json_text
from flagpilot.storage.models import CustomerFeatureFlag, OrganizationFeatureFlag

BATCH = 1000


@dataclass(frozen=True)
class _Shape:
    table: Table
    subject_name: str

    @property
    def subject(self) -> Column[Any]:
        return self.table.c[self.subject_name]


SHAPES = {
    OverrideScope.CUSTOMER: _Shape(cast(Table, CustomerFeatureFlag.__table__), "customer_id"),
    OverrideScope.ORGANIZATION: _Shape(cast(Table, OrganizationFeatureFlag.__table__), "organization_id"),
}


def _batches(items: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _record(scope: OverrideScope, row: Row[Any]) -> OverrideRecord:
    subject = row.customer_id if scope is OverrideScope.CUSTOMER else row.organization_id
    return OverrideRecord(
        scope=scope,
        flag_key=row.feature_name,
        environment=row.environment,
        subject_id=subject,
        value=row.value,
        organization_id=row.organization_id,
        reason=row.reason,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


class SqlOverrideRepository:
    """`OverrideRepository` over `customer_feature_flags` and `organization_feature_flags`.

    Args:
        connection: the unit of work's connection.
        actor: recorded as `created_by` of new overrides.
        organization_id: confine every query to this organization's rows. PostgreSQL enforces
            the same with row-level security; this is the application's own check, and the only
            one on SQLite.
    """

    def __init__(
        self, connection: Connection, actor: str, now: datetime, organization_id: str | None = None
    ) -> None:
        self._connection = connection
        self._actor = actor
        self._now = now
        self._organization_id = organization_id

    def _confined(self, statement: Any, table: Table) -> Any:
        if self._organization_id is None:
            return statement
        return statement.where(table.c.organization_id == self._organization_id)

    def _check_ownership(self, shape: _Shape, flag_key: str, environment: str, subjects: list[str]) -> None:
        """Refuse to touch subjects of another organization when confined to one."""
        organization = self._organization_id
        if organization is None:
            return
        if shape.subject_name == "organization_id":
            foreign = sorted(s for s in subjects if s != organization)
        else:
            foreign = []
            for batch in _batches(subjects):
                foreign += self._connection.execute(
                    select(shape.subject).where(
                        shape.table.c.feature_name == flag_key,
                        shape.table.c.environment == environment,
                        shape.subject.in_(batch),
                        (shape.table.c.organization_id != organization)
                        | shape.table.c.organization_id.is_(None),
                    )
                ).scalars()
        if foreign:
            raise PermissionDenied(
                f"organization {organization!r} cannot change the override of {foreign[0]!r}"
            )

    def get(
        self, scope: OverrideScope, flag_key: str, environment: str, subject_id: str
    ) -> OverrideRecord | None:
        """One override, or None."""
        shape = SHAPES[scope]
        statement = select(shape.table).where(
            shape.table.c.feature_name == flag_key,
            shape.table.c.environment == environment,
            shape.subject == subject_id,
        )
        row = self._connection.execute(self._confined(statement, shape.table)).first()
        return None if row is None else _record(scope, row)

    def put_many(
        self,
        scope: OverrideScope,
        flag_key: str,
        environment: str,
        values: Mapping[str, FlagValue],
        *,
        reason: str,
        organization_id: str | None = None,
        created_by: str | None = None,
    ) -> None:
        """Create or replace overrides, subject id → value."""
        shape = SHAPES[scope]
        self._check_ownership(shape, flag_key, environment, list(values))
        if self._organization_id is not None and scope is OverrideScope.CUSTOMER:
            organization_id = self._organization_id
        now = self._now
        common = {
            "feature_name": flag_key,
            "environment": environment,
            "reason": reason,
            "created_by": self._actor if created_by is None else created_by,
            "created_at": now,
            "updated_at": now,
        }
        updated = ["enabled", "value", "reason", "updated_at"]
        if scope is OverrideScope.CUSTOMER:
            common["organization_id"] = organization_id
            if organization_id is not None:
                updated.append("organization_id")
        if is_postgresql(self._connection):
            self._put_unnest(shape, common, updated, values)
            return
        statement = upsert(
            self._connection, shape.table, ("feature_name", "environment", shape.subject_name), updated
        )
        for batch in _batches(values.items()):
            rows = [
                {**common, shape.subject_name: subject, "value": value, "enabled": value is True}
                for subject, value in batch
            ]
            self._connection.execute(statement, rows)

    def _put_unnest(
        self, shape: _Shape, common: dict[str, Any], updated: list[str], values: Mapping[str, FlagValue]
    ) -> None:
        """PostgreSQL: every row in one statement, the subjects and values passed as two arrays."""
        columns = [*common, shape.subject_name, "value", "enabled"]
        selected = [f":{name}" for name in common] + ["s.subject", "CAST(s.value AS json)", "s.enabled"]
        conflict = ", ".join(("feature_name", "environment", shape.subject_name))
        assignments = ", ".join(f"{name} = excluded.{name}" for name in updated)
        sql = (
            f"INSERT INTO {shape.table.name} ({', '.join(columns)}) SELECT {', '.join(selected)} "
            "FROM unnest(CAST(:subjects AS text[]), CAST(:values AS text[]), CAST(:enabled AS boolean[])) "
            f"AS s(subject, value, enabled) ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
        )
        self._connection.execute(
            text(sql),
            {
                **common,
                "subjects": list(values),
                "values": [json_text(value) for value in values.values()],
                "enabled": [value is True for value in values.values()],
            },
        )

    def delete_many(
        self, scope: OverrideScope, flag_key: str, environment: str, subject_ids: Iterable[str] | None
    ) -> int:
        """Delete overrides; all of the flag in the environment when `subject_ids` is None."""
        shape = SHAPES[scope]
        base = self._confined(
            delete(shape.table).where(
                shape.table.c.feature_name == flag_key, shape.table.c.environment == environment
            ),
            shape.table,
        )
        if subject_ids is None:
            return self._connection.execute(base).rowcount
        return sum(
            self._connection.execute(base.where(shape.subject.in_(batch))).rowcount
            for batch in _batches(subject_ids)
        )

    def page(
        self,
        scope: OverrideScope,
        *,
        flag_key: str | None = None,
        environment: str | None = None,
        after: tuple[str, str, str] | None = None,
        limit: int = 100,
    ) -> list[OverrideRecord]:
        """Overrides in (flag, environment, subject) order, after the cursor `after`."""
        shape = SHAPES[scope]
        table = shape.table
        statement = select(table).order_by(table.c.feature_name, table.c.environment, shape.subject)
        if flag_key is not None:
            statement = statement.where(table.c.feature_name == flag_key)
        if environment is not None:
            statement = statement.where(table.c.environment == environment)
        if after is not None:
            statement = statement.where(
                tuple_(table.c.feature_name, table.c.environment, shape.subject) > after
            )
        rows = self._connection.execute(self._confined(statement, table).limit(max(1, limit)))
        return [_record(scope, row) for row in rows]

    def counts(self, flag_key: str | None = None) -> dict[tuple[str, str, OverrideScope], int]:
        """How many overrides each (flag, environment, scope) has (of one flag, if given)."""
        counts: dict[tuple[str, str, OverrideScope], int] = {}
        for scope, shape in SHAPES.items():
            table = shape.table
            statement = select(table.c.feature_name, table.c.environment, func.count()).group_by(
                table.c.feature_name, table.c.environment
            )
            if flag_key is not None:
                statement = statement.where(table.c.feature_name == flag_key)
            rows = self._connection.execute(self._confined(statement, table))
            for key, environment, count in rows:
                counts[(key, environment, scope)] = int(count)
        return counts
