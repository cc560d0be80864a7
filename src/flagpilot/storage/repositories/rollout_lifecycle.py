"""The rollout service's ports (`flagpilot.services.rollouts.ports`) over the rollout tables.

`feature_rollouts` rows change only through `update(record, expected_version)`, which runs
`UPDATE … WHERE id = :id AND version = :expected`: of two concurrent transitions, exactly one
matches and the other raises `VersionConflict`. Metrics are additive upserts, so counts flushed
by several replicas sum instead of overwriting each other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.errors import AlreadyExists, RolloutNotFound, VersionConflict
from flagpilot.services.records import utc
from flagpilot.services.rollouts.records import Cohort, MetricRow, RolloutEventRecord, RolloutRecord
from flagpilot.storage.dialect import stored_time
from flagpilot.storage.models import RolloutEvent, RolloutMetric
from flagpilot.storage.repositories.rollouts import ROLLOUTS, rollout_record, rollout_values

EVENTS = cast(Table, RolloutEvent.__table__)
METRICS = cast(Table, RolloutMetric.__table__)


def _stored_time(connection: Connection, moment: datetime | None) -> datetime | None:
    return None if moment is None else stored_time(connection, moment)


def _read_time(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


class SqlRolloutLifecycleRepository:
    """`RolloutLifecycleRepository` over `feature_rollouts`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _values(self, record: RolloutRecord) -> dict[str, Any]:
        values = rollout_values(record)
        values["tier_started_at"] = _stored_time(self._connection, record.tier_started_at)
        values["version"] = record.version
        return values

    def get(self, feature_name: str, environment: str) -> RolloutRecord | None:
        """The rollout of `feature_name` in `environment`, or None."""
        row = self._connection.execute(
            select(ROLLOUTS).where(
                ROLLOUTS.c.feature_name == feature_name, ROLLOUTS.c.environment == environment
            )
        ).first()
        return None if row is None else self._record(row)

    def _record(self, row: Any) -> RolloutRecord:
        record = rollout_record(row)
        return replace(
            record,
            tier_started_at=_read_time(record.tier_started_at),
            created_at=_read_time(record.created_at),
            updated_at=_read_time(record.updated_at),
        )

    def list(
        self, environment: str | None = None, statuses: Collection[RolloutStatus] | None = None
    ) -> list[RolloutRecord]:
        """Rollouts ordered by environment and feature name, optionally filtered."""
        statement = select(ROLLOUTS).order_by(ROLLOUTS.c.environment, ROLLOUTS.c.feature_name)
        if environment is not None:
            statement = statement.where(ROLLOUTS.c.environment == environment)
        if statuses is not None:
            statement = statement.where(ROLLOUTS.c.status.in_([status.value for status in statuses]))
        return [self._record(row) for row in self._connection.execute(statement)]

    def add(self, record: RolloutRecord) -> RolloutRecord:
        """Insert `record`; `AlreadyExists` if the flag has a rollout in the environment."""
        if self.get(record.feature_name, record.environment) is not None:
            raise AlreadyExists(f"{record.feature_name!r} already has a rollout in {record.environment}")
        now = datetime.now(UTC)
        values = self._values(record)
        values.update(created_at=_stored_time(self._connection, record.created_at or now))
        values.update(updated_at=_stored_time(self._connection, record.updated_at or now))
        self._connection.execute(ROLLOUTS.insert().values(**values))
        stored = self.get(record.feature_name, record.environment)
        assert stored is not None
        return stored

    def update(self, record: RolloutRecord, expected_version: int) -> None:
        """Replace the row if its version is still `expected_version`, else `VersionConflict`."""
        values = self._values(record)
        values["updated_at"] = _stored_time(self._connection, record.updated_at or datetime.now(UTC))
        result = self._connection.execute(
            update(ROLLOUTS)
            .where(
                ROLLOUTS.c.feature_name == record.feature_name,
                ROLLOUTS.c.environment == record.environment,
                ROLLOUTS.c.version == expected_version,
            )
            .values(**values)
        )
        if result.rowcount == 1:
            return
        current = self.get(record.feature_name, record.environment)
        if current is None:
            raise RolloutNotFound(f"no rollout of {record.feature_name!r} in {record.environment}")
        raise VersionConflict(
            f"rollout {record.feature_name!r} in {record.environment} is at version {current.version}, "
            f"not {expected_version}",
            current.version,
        )


class SqlRolloutEventLog:
    """`RolloutEventLog` over `rollout_events`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, event: RolloutEventRecord) -> None:
        """Append one transition."""
        self._connection.execute(
            EVENTS.insert().values(
                rollout_id=event.rollout_id,
                feature_name=event.feature_name,
                event_type=event.event_type,
                from_tier=None if event.from_tier is None else event.from_tier.value,
                to_tier=None if event.to_tier is None else event.to_tier.value,
                from_status=None if event.from_status is None else event.from_status.value,
                to_status=None if event.to_status is None else event.to_status.value,
                actor=event.actor,
                reason=event.reason,
                details=dict(event.details),
                created_at=_stored_time(self._connection, event.created_at or datetime.now(UTC)),
            )
        )

    def list(self, rollout_id: int, limit: int = 100) -> list[RolloutEventRecord]:
        """The rollout's most recent transitions, newest first."""
        rows = self._connection.execute(
            select(EVENTS).where(EVENTS.c.rollout_id == rollout_id).order_by(EVENTS.c.id.desc()).limit(limit)
        )
        return [
            RolloutEventRecord(
                rollout_id=row.rollout_id,
                feature_name=row.feature_name,
                event_type=row.event_type,
                from_tier=None if row.from_tier is None else Tier(row.from_tier),
                to_tier=None if row.to_tier is None else Tier(row.to_tier),
                from_status=None if row.from_status is None else RolloutStatus(row.from_status),
                to_status=None if row.to_status is None else RolloutStatus(row.to_status),
                actor=row.actor,
                reason=row.reason,
                details=row.details or {},
                created_at=_read_time(row.created_at),
            )
            for row in rows
        ]


class SqlMetricStore:
    """`MetricStore` over `rollout_metrics`: additive upserts, reads by time window."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, rows: Sequence[MetricRow]) -> None:
        """Add each row's counts to the stored row with the same key."""
        if not rows:
            return
        module: Any = postgresql if self._connection.dialect.name == "postgresql" else sqlite
        statement = module.insert(METRICS)
        statement = statement.on_conflict_do_update(
            index_elements=["rollout_id", "minute", "tier", "cohort"],
            set_={
                "successes": METRICS.c.successes + statement.excluded.successes,
                "errors": METRICS.c.errors + statement.excluded.errors,
            },
        )
        self._connection.execute(
            statement,
            [
                {
                    "rollout_id": row.rollout_id,
                    "minute": _stored_time(self._connection, row.minute),
                    "tier": row.tier.value,
                    "cohort": row.cohort.value,
                    "successes": row.successes,
                    "errors": row.errors,
                }
                for row in rows
            ],
        )

    def read(self, rollout_id: int, since: datetime, until: datetime | None = None) -> list[MetricRow]:
        """Rows of `rollout_id` with `since <= minute < until`, by minute."""
        statement = (
            select(METRICS)
            .where(
                METRICS.c.rollout_id == rollout_id, METRICS.c.minute >= _stored_time(self._connection, since)
            )
            .order_by(METRICS.c.minute, METRICS.c.tier, METRICS.c.cohort)
        )
        if until is not None:
            statement = statement.where(METRICS.c.minute < _stored_time(self._connection, until))
        return [
            MetricRow(
                rollout_id=row.rollout_id,
                minute=utc(row.minute),
                tier=Tier(row.tier),
                cohort=Cohort(row.cohort),
                successes=int(row.successes),
                errors=int(row.errors),
            )
            for row in self._connection.execute(statement)
        ]
