"""The unit of work in memory: for service and API tests and the rollback simulation (bench/).

`InMemoryRolloutStore` behaves like the SQL tables where it matters to the rollout services: a
unit of work sees its own staged changes, commits them at once or not at all, and an update
whose expected version is stale raises `VersionConflict` (checked again at commit, as a
concurrent transaction would find the row changed). The flags and environments the rollout
preconditions read are a fixed catalogue (the preset's, unless given).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any

from flagpilot.core import FlagDefinition, RolloutStatus, Tier
from flagpilot.presets import DEFINITIONS, ENVIRONMENTS
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.errors import AlreadyExists, RolloutNotFound, VersionConflict
from flagpilot.services.rollouts.rollout_records import Cohort, MetricRow, RolloutEventRecord, RolloutRecord
from flagpilot.services.stored_records import EnvironmentRecord, FlagRecord

MetricKey = tuple[int, datetime, Tier, Cohort]


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An audit entry as stored, with its unit of work's actor."""

    actor: str
    entry: AuditEntry


class InMemoryRolloutStore:
    """The rollout tables and the audit trail in memory, shared by the units of work it opens.

    Args:
        flags: the flags that exist (default: the preset's); archived ones as `FlagRecord`s.
        environments: the environments that exist (default: the preset's).
    """

    def __init__(
        self,
        flags: Iterable[FlagDefinition | FlagRecord] | None = None,
        environments: Iterable[str] | None = None,
    ) -> None:
        self.flags = {
            record.key: record
            for record in (
                item if isinstance(item, FlagRecord) else FlagRecord(item)
                for item in (DEFINITIONS if flags is None else flags)
            )
        }
        self.environments = {
            name: EnvironmentRecord(name) for name in (ENVIRONMENTS if environments is None else environments)
        }
        self.lock = threading.RLock()
        self.rollouts: dict[tuple[str, str], RolloutRecord] = {}
        self.events: list[RolloutEventRecord] = []
        self.audit_rows: list[AuditRow] = []
        self.metric_counts: dict[MetricKey, tuple[int, int]] = {}
        self.next_id = 1

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> InMemoryUnitOfWork:
        """A unit of work over this store, acting as `actor` (a `UnitOfWorkFactory`)."""
        return InMemoryUnitOfWork(self, actor, organization_id)

    def add_metrics(self, rows: Sequence[MetricRow]) -> None:
        """Add counts directly (the `MetricSink` the outcome aggregator flushes to)."""
        with self.lock:
            for row in rows:
                key = (row.rollout_id, row.minute, row.tier, row.cohort)
                successes, errors = self.metric_counts.get(key, (0, 0))
                self.metric_counts[key] = (successes + row.successes, errors + row.errors)

    def add(self, rows: Sequence[MetricRow]) -> None:
        """`MetricSink.add`: the same as `add_metrics`."""
        self.add_metrics(rows)

    def metric_rows(self, rollout_id: int) -> list[MetricRow]:
        """Every stored metric row of one rollout, by minute."""
        with self.lock:
            rows = [
                MetricRow(rid, minute, tier, cohort, successes, errors)
                for (rid, minute, tier, cohort), (successes, errors) in self.metric_counts.items()
                if rid == rollout_id
            ]
        return sorted(rows, key=lambda row: (row.minute, row.tier, row.cohort))


class InMemoryUnitOfWork:
    """One transaction over an `InMemoryRolloutStore`; nothing is visible to others until commit."""

    def __init__(self, store: InMemoryRolloutStore, actor: str, organization_id: str | None = None) -> None:
        self.store = store
        self.actor = actor
        self.organization_id = organization_id
        self.staged: dict[tuple[str, str], tuple[RolloutRecord, int | None]] = {}
        self.staged_events: list[RolloutEventRecord] = []
        self.staged_audit: list[AuditEntry] = []
        self.staged_metrics: list[MetricRow] = []
        self.committed = False
        self.flags = _Catalogue(store.flags)
        self.environments = _Catalogue(store.environments)
        self.rollouts = _Rollouts(self)
        self.rollout_events = _Events(self)
        self.metrics = _Metrics(self)
        self.audit = _Audit(self)

    def __enter__(self) -> InMemoryUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.staged.clear()
        self.staged_events.clear()
        self.staged_audit.clear()
        self.staged_metrics.clear()

    def commit(self) -> None:
        """Apply every staged change at once, or raise `VersionConflict` and apply none."""
        store = self.store
        with store.lock:
            for key, (_, expected) in self.staged.items():
                current = store.rollouts.get(key)
                if expected is None and current is not None:
                    raise AlreadyExists(f"{key[0]!r} already has a rollout in {key[1]}")
                if expected is not None and (current is None or current.version != expected):
                    raise VersionConflict(
                        f"rollout {key[0]!r} in {key[1]} changed since it was read",
                        None if current is None else current.version,
                    )
            for key, (record, _) in self.staged.items():
                store.rollouts[key] = record
            store.events.extend(self.staged_events)
            store.audit_rows.extend(AuditRow(self.actor, entry) for entry in self.staged_audit)
            store.add_metrics(self.staged_metrics)
        self.staged.clear()
        self.staged_events.clear()
        self.staged_audit.clear()
        self.staged_metrics.clear()
        self.committed = True


class _Catalogue:
    """The read side of the flag or environment repository, over a fixed mapping."""

    def __init__(self, records: dict[str, Any]) -> None:
        self._records = records

    def get(self, key: str) -> Any:
        return self._records.get(key)


class _Rollouts:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def get(self, feature_name: str, environment: str) -> RolloutRecord | None:
        key = (feature_name, environment)
        staged = self._uow.staged.get(key)
        if staged is not None:
            return staged[0]
        with self._uow.store.lock:
            return self._uow.store.rollouts.get(key)

    def list(
        self,
        environment: str | None = None,
        statuses: Collection[RolloutStatus] | None = None,
        *,
        flag_key: str | None = None,
    ) -> list[RolloutRecord]:
        with self._uow.store.lock:
            merged = dict(self._uow.store.rollouts)
        merged.update({key: record for key, (record, _) in self._uow.staged.items()})
        return [
            record
            for key, record in sorted(merged.items(), key=lambda item: (item[0][1], item[0][0]))
            if (environment is None or key[1] == environment)
            and (statuses is None or record.status in statuses)
            and (flag_key is None or key[0] == flag_key)
        ]

    def add(self, record: RolloutRecord) -> RolloutRecord:
        key = (record.feature_name, record.environment)
        if self.get(*key) is not None:
            raise AlreadyExists(f"{key[0]!r} already has a rollout in {key[1]}")
        with self._uow.store.lock:
            stored = record.with_id(self._uow.store.next_id)
            self._uow.store.next_id += 1
        self._uow.staged[key] = (stored, None)
        return stored

    def update(self, record: RolloutRecord, expected_version: int) -> None:
        key = (record.feature_name, record.environment)
        current = self.get(*key)
        if current is None:
            raise RolloutNotFound(f"no rollout of {key[0]!r} in {key[1]}")
        if current.version != expected_version:
            raise VersionConflict(
                f"rollout {key[0]!r} in {key[1]} is at version {current.version}, not {expected_version}",
                current.version,
            )
        previous = self._uow.staged.get(key)
        expected = expected_version if previous is None else previous[1]
        self._uow.staged[key] = (replace(record, id=current.id), expected)


class _Events:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, event: RolloutEventRecord) -> None:
        self._uow.staged_events.append(event)

    def list(self, rollout_id: int, limit: int = 100) -> list[RolloutEventRecord]:
        with self._uow.store.lock:
            stored = [event for event in self._uow.store.events if event.rollout_id == rollout_id]
        stored += [event for event in self._uow.staged_events if event.rollout_id == rollout_id]
        return stored[::-1][:limit]


class _Metrics:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, rows: Sequence[MetricRow]) -> None:
        self._uow.staged_metrics.extend(rows)

    def read(self, rollout_id: int, since: datetime, until: datetime | None = None) -> list[MetricRow]:
        return [
            row
            for row in self._uow.store.metric_rows(rollout_id)
            if row.minute >= since and (until is None or row.minute < until)
        ]

    def read_many(self, since: Mapping[int, datetime]) -> dict[int, list[MetricRow]]:
        return {rollout_id: self.read(rollout_id, start) for rollout_id, start in since.items()}


class _Audit:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def record(self, entry: AuditEntry) -> None:
        self._uow.staged_audit.append(entry)

    def record_many(self, entries: Sequence[AuditEntry]) -> None:
        self._uow.staged_audit.extend(entries)
