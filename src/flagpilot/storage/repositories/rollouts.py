"""`feature_rollouts`: the one repository and the one row mapper of the rollout table.

Times go through the `UtcDateTime` column type, so every reader — the lifecycle, snapshots,
exports — sees the same aware UTC values on both databases.
Transitions change a row only through `update(record, expected_version)`, which runs
`UPDATE … WHERE … AND version = :expected`: of two concurrent transitions exactly one matches
and the other raises `VersionConflict`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, select, update

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.errors import AlreadyExists, RolloutNotFound, StorageUnavailable, VersionConflict
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.storage.dialect import upsert
from flagpilot.storage.models import FeatureRollout

ROLLOUTS = cast(Table, FeatureRollout.__table__)

_COPIED = (
    "feature_name",
    "environment",
    "error_rate_threshold",
    "time_window_ms",
    "min_dwell_seconds",
    "min_events",
    "rollback_reason",
    "version",
    "created_by",
)
_TIMES = ("tier_started_at", "created_at", "updated_at")


def rollout_record(row: Row[Any]) -> RolloutRecord:
    """The record of a `feature_rollouts` row, its times aware UTC."""
    return RolloutRecord(
        id=row.id,
        current_tier=Tier(row.current_tier),
        status=RolloutStatus(row.status),
        percentage=row.percentage,
        whitelisted_customers=tuple(row.whitelisted_customers or ()),
        tier_started_at=row.tier_started_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        **{name: getattr(row, name) for name in _COPIED},
    )


def rollout_values(connection: Connection, record: RolloutRecord) -> dict[str, Any]:
    """The column values of `record` (without the id), times as `connection` stores them."""
    values = {name: getattr(record, name) for name in _COPIED}
    values.update(
        {
            name: getattr(record, name)
            for name in _TIMES
        },
        current_tier=record.current_tier.value,
        status=record.status.value,
        whitelisted_customers=list(record.whitelisted_customers),
        percentage=float(record.percentage),
    )
    return values


class SqlRolloutRepository:
    """`RolloutRepository` over `feature_rollouts`.

    Args:
        connection: the unit of work's connection.
        actor: who creates imported rollouts that name no creator.
    """

    def __init__(self, connection: Connection, actor: str, now: datetime) -> None:
        self._connection = connection
        self._actor = actor
        self._now = now

    def get(self, feature_name: str, environment: str) -> RolloutRecord | None:
        """The rollout of `feature_name` in `environment`, or None."""
        row = self._connection.execute(
            select(ROLLOUTS).where(
                ROLLOUTS.c.feature_name == feature_name, ROLLOUTS.c.environment == environment
            )
        ).first()
        return None if row is None else rollout_record(row)

    def list(
        self,
        environment: str | None = None,
        statuses: Collection[RolloutStatus] | None = None,
        *,
        flag_key: str | None = None,
    ) -> list[RolloutRecord]:
        """Rollouts ordered by environment and flag, optionally filtered."""
        statement = select(ROLLOUTS).order_by(ROLLOUTS.c.environment, ROLLOUTS.c.feature_name)
        if environment is not None:
            statement = statement.where(ROLLOUTS.c.environment == environment)
        if statuses is not None:
            statement = statement.where(ROLLOUTS.c.status.in_([status.value for status in statuses]))
        if flag_key is not None:
            statement = statement.where(ROLLOUTS.c.feature_name == flag_key)
        return [rollout_record(row) for row in self._connection.execute(statement)]

    def add(self, record: RolloutRecord) -> RolloutRecord:
        """Insert `record`; `AlreadyExists` if the flag has a rollout in the environment."""
        if self.get(record.feature_name, record.environment) is not None:
            raise AlreadyExists(f"{record.feature_name!r} already has a rollout in {record.environment}")
        now = self._now
        values = rollout_values(self._connection, record)
        values.update(
            created_at=record.created_at or now,
            updated_at=record.updated_at or now,
        )
        self._connection.execute(ROLLOUTS.insert().values(**values))
        stored = self.get(record.feature_name, record.environment)
        if stored is None:
            raise StorageUnavailable(f"the new rollout of {record.feature_name!r} could not be read back")
        return stored

    def update(self, record: RolloutRecord, expected_version: int) -> None:
        """Replace the row if its version is still `expected_version`, else `VersionConflict`."""
        values = rollout_values(self._connection, record)
        del values["created_at"]
        values["updated_at"] = record.updated_at or self._now
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

    def put(self, record: RolloutRecord) -> None:
        """Create or replace the rollout of a flag in an environment (bumping its version)."""
        now = self._now
        values = rollout_values(self._connection, record)
        values.update(created_by=record.created_by or self._actor, created_at=now, updated_at=now, version=1)
        keys = ("feature_name", "environment")
        replaced = [name for name in values if name not in (*keys, "created_at", "version")]
        statement = upsert(
            self._connection, ROLLOUTS, keys, replaced, also={"version": ROLLOUTS.c.version + 1}
        )
        self._connection.execute(statement, values)
