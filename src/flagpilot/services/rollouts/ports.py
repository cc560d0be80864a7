"""What the rollout services need from storage, as Protocols a SQL unit of work implements.

A service opens one unit of work per call, makes its change, writes the rollout event and the
audit row through the same unit of work, and commits; leaving without `commit()` rolls back, so
there is never a change without its event and audit row, nor the reverse.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from flagpilot.core import RolloutStatus
from flagpilot.services.audit_entry import AuditWriter
from flagpilot.services.rollouts.records import MetricRow, RolloutEventRecord, RolloutRecord


class RolloutLifecycleRepository(Protocol):
    """The `feature_rollouts` table."""

    def get(self, feature_name: str, environment: str) -> RolloutRecord | None:
        """The rollout of `feature_name` in `environment`, or None."""
        ...

    def list(
        self, environment: str | None = None, statuses: Collection[RolloutStatus] | None = None
    ) -> list[RolloutRecord]:
        """Rollouts ordered by environment and feature name, optionally filtered."""
        ...

    def add(self, record: RolloutRecord) -> RolloutRecord:
        """Insert `record` and return it with its id; `AlreadyExists` if one exists for the pair."""
        ...

    def update(self, record: RolloutRecord, expected_version: int) -> None:
        """Replace the stored row if its version is still `expected_version`.

        Raises:
            VersionConflict: the row changed since it was read (another writer won); a SQL
                implementation runs `UPDATE ... WHERE id = :id AND version = :expected` and
                raises when no row matched.
        """
        ...


class RolloutEventLog(Protocol):
    """The `rollout_events` table."""

    def add(self, event: RolloutEventRecord) -> None:
        """Append one transition."""
        ...

    def list(self, rollout_id: int, limit: int = 100) -> list[RolloutEventRecord]:
        """The rollout's most recent transitions, newest first."""
        ...


class MetricSink(Protocol):
    """Where flushed outcome counts go: additive upserts, so replicas' counts sum."""

    def add(self, rows: Sequence[MetricRow]) -> None:
        """Add each row's counts to the stored row with the same key (insert if absent).

        A SQL implementation runs `INSERT ... ON CONFLICT (rollout_id, minute, tier, cohort)
        DO UPDATE SET successes = successes + excluded.successes, errors = ...`.
        """
        ...


class MetricStore(MetricSink, Protocol):
    """The `rollout_metrics` table: per-minute aggregates, added to and read by window."""

    def read(self, rollout_id: int, since: datetime, until: datetime | None = None) -> list[MetricRow]:
        """Rows of `rollout_id` with `since <= minute < until` (no upper bound if None), by minute."""
        ...


class RolloutUnitOfWork(Protocol):
    """One transaction over the rollout tables and the audit trail.

    Use as `with factory(actor=...) as uow: ...; uow.commit()`.
    """

    @property
    def rollout_lifecycle(self) -> RolloutLifecycleRepository:
        """The rollouts, as the lifecycle reads and writes them.

        Not named `rollouts`: the general unit of work already has a `rollouts` repository for
        snapshots and exports, and one SQL unit of work should be able to provide both.
        """
        ...

    @property
    def rollout_events(self) -> RolloutEventLog:
        """The rollouts' transition history."""
        ...

    @property
    def metrics(self) -> MetricStore:
        """The per-minute outcome aggregates."""
        ...

    @property
    def audit(self) -> AuditWriter:
        """The audit trail, written as this unit of work's actor."""
        ...

    def __enter__(self) -> RolloutUnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make every change of this unit of work durable, at once."""
        ...


class RolloutUnitOfWorkFactory(Protocol):
    """Opens a unit of work acting as `actor` (a user, a token name, `flagpilot-autorollback`)."""

    def __call__(self, *, actor: str) -> RolloutUnitOfWork:
        """A new, not yet entered unit of work."""
        ...
