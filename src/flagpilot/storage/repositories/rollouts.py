"""Rollouts in `feature_rollouts`, as snapshots and exports read them and imports write them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, select

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.rollouts.records import RolloutRecord
from flagpilot.storage.dialect import upsert
from flagpilot.storage.models import FeatureRollout

ROLLOUTS = cast(Table, FeatureRollout.__table__)

_COPIED = (
    "id",
    "feature_name",
    "environment",
    "percentage",
    "error_rate_threshold",
    "time_window_ms",
    "min_dwell_seconds",
    "min_events",
    "tier_started_at",
    "rollback_reason",
    "version",
    "created_by",
    "created_at",
    "updated_at",
)


def rollout_record(row: Row[Any]) -> RolloutRecord:
    """The record of a `feature_rollouts` row."""
    values = {name: getattr(row, name) for name in _COPIED}
    return RolloutRecord(
        current_tier=Tier(row.current_tier),
        status=RolloutStatus(row.status),
        whitelisted_customers=tuple(row.whitelisted_customers or ()),
        **values,
    )


def rollout_values(record: RolloutRecord) -> dict[str, Any]:
    """The column values of `record` (without id and timestamps)."""
    values = {name: getattr(record, name) for name in _COPIED[1:-2]}
    values.update(
        current_tier=record.current_tier.value,
        status=record.status.value,
        whitelisted_customers=list(record.whitelisted_customers),
        percentage=float(record.percentage),
    )
    return values


class SqlRolloutRepository:
    """`RolloutRepository` over `feature_rollouts`."""

    def __init__(self, connection: Connection, actor: str) -> None:
        self._connection = connection
        self._actor = actor

    def get(self, flag_key: str, environment: str) -> RolloutRecord | None:
        """The rollout of a flag in an environment, or None."""
        row = self._connection.execute(
            select(ROLLOUTS).where(ROLLOUTS.c.feature_name == flag_key, ROLLOUTS.c.environment == environment)
        ).first()
        return None if row is None else rollout_record(row)

    def list(self, *, flag_key: str | None = None, environment: str | None = None) -> list[RolloutRecord]:
        """Rollouts by flag and environment."""
        statement = select(ROLLOUTS).order_by(ROLLOUTS.c.feature_name, ROLLOUTS.c.environment)
        if flag_key is not None:
            statement = statement.where(ROLLOUTS.c.feature_name == flag_key)
        if environment is not None:
            statement = statement.where(ROLLOUTS.c.environment == environment)
        return [rollout_record(row) for row in self._connection.execute(statement)]

    def put(self, record: RolloutRecord) -> None:
        """Create or replace the rollout of a flag in an environment (bumping its version)."""
        now = datetime.now(UTC)
        values = rollout_values(record)
        values.update(created_by=record.created_by or self._actor, created_at=now, updated_at=now, version=1)
        keys = ("feature_name", "environment")
        replaced = [name for name in values if name not in (*keys, "created_at", "version")]
        statement = upsert(
            self._connection, ROLLOUTS, keys, replaced, also={"version": ROLLOUTS.c.version + 1}
        )
        self._connection.execute(statement, values)
