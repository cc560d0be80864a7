"""`rollout_events`: each rollout's transitions, appended by the lifecycle and read as its history."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, select

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.rollouts.rollout_records import RolloutEventRecord
from flagpilot.storage.models import RolloutEvent

EVENTS = cast(Table, RolloutEvent.__table__)


class SqlRolloutEventLog:
    """`RolloutEventLog` over `rollout_events`."""

    def __init__(self, connection: Connection, now: datetime) -> None:
        self._connection = connection
        self._now = now

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
                created_at=event.created_at or self._now,
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
                created_at=None if row.created_at is None else row.created_at,
            )
            for row in rows
        ]
