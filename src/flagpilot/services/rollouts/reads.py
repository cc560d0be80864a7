"""Reading rollouts: one rollout, a list, its history, its statistics and the whole detail view."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from flagpilot.core import RolloutStatus
from flagpilot.services.errors import RolloutNotFound
from flagpilot.services.ports import UnitOfWork, UnitOfWorkFactory
from flagpilot.services.rollouts.gates import ClosedGate, closed_gates
from flagpilot.services.rollouts.rollout_records import RolloutEventRecord, RolloutRecord
from flagpilot.services.rollouts.statistics import RolloutStatistics, read_since, rollout_statistics

READER = "flagpilot"
MONITORED = frozenset({RolloutStatus.ACTIVE, RolloutStatus.PAUSED})
"""The statuses whose error rates are watched (by the checker, on `/metrics`)."""

Monitored = list[tuple[RolloutRecord, RolloutStatistics]]


@dataclass(frozen=True, slots=True)
class RolloutDetail:
    """A rollout as an operator inspects it, read in one transaction.

    Attributes:
        record: the rollout.
        statistics: its window, tier and per-minute statistics at the time of the read.
        closed_gates: the gates an advance would meet now (none unless it is active).
        events: its most recent transitions, newest first.
    """

    record: RolloutRecord
    statistics: RolloutStatistics
    closed_gates: tuple[ClosedGate, ...]
    events: tuple[RolloutEventRecord, ...]


class RolloutReads:
    """The read side of `RolloutManager`: each read opens its own read-only unit of work as `READER`.

    The statistics of the monitored rollouts are the one statistics cache of the process: the
    checker reads them fresh (`monitored_statistics`) and `/metrics` takes the latest read if it
    is recent enough (`recent_monitored_statistics`), so a scrape right after a check costs no
    query.

    Args:
        uow_factory: opens units of work.
        monotonic: seconds on a clock that never goes back (how old the latest read is).
    """

    def __init__(
        self, uow_factory: UnitOfWorkFactory, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._uow_factory = uow_factory
        self._monotonic = monotonic
        self._latest: tuple[float, Monitored] | None = None
        self._latest_lock = threading.Lock()

    def get(self, feature_name: str, environment: str) -> RolloutRecord:
        """The rollout of `feature_name` in `environment`; `RolloutNotFound` if there is none."""
        with self._uow_factory(READER, read_only=True) as uow:
            return load_rollout(uow, feature_name, environment)

    def list_rollouts(
        self, environment: str | None = None, statuses: Collection[RolloutStatus] | None = None
    ) -> list[RolloutRecord]:
        """Rollouts, optionally of one environment and in some statuses."""
        with self._uow_factory(READER, read_only=True) as uow:
            return uow.rollouts.list(environment, statuses)

    def monitored_statistics(self, now: datetime) -> Monitored:
        """Every active or paused rollout with its statistics at `now`, in two queries."""
        with self._uow_factory(READER, read_only=True) as uow:
            monitored = load_monitored(uow, now)
        with self._latest_lock:
            self._latest = (self._monotonic(), monitored)
        return monitored

    def recent_monitored_statistics(self, now: datetime, max_age_seconds: float) -> Monitored:
        """`monitored_statistics`, or the latest read of them if it is under `max_age_seconds` old."""
        with self._latest_lock:
            latest = self._latest
        if latest is not None and self._monotonic() - latest[0] < max_age_seconds:
            return latest[1]
        return self.monitored_statistics(now)

    def history(self, feature_name: str, environment: str, limit: int = 100) -> list[RolloutEventRecord]:
        """The rollout's transitions, newest first."""
        with self._uow_factory(READER, read_only=True) as uow:
            record = load_rollout(uow, feature_name, environment)
            return uow.rollout_events.list(stored_id(record), limit)

    def detail(
        self, feature_name: str, environment: str, *, now: datetime, history_limit: int = 50
    ) -> RolloutDetail:
        """The rollout with its statistics, closed gates and recent history at `now`.

        Raises:
            RolloutNotFound: there is no rollout of `feature_name` in `environment`.
        """
        with self._uow_factory(READER, read_only=True) as uow:
            record = load_rollout(uow, feature_name, environment)
            statistics = load_statistics(uow, record, now)
            events = uow.rollout_events.list(stored_id(record), history_limit)
        active = record.status is RolloutStatus.ACTIVE
        gates = closed_gates(record, statistics, now=now) if active else []
        return RolloutDetail(record, statistics, tuple(gates), tuple(events))

    def statistics(self, feature_name: str, environment: str, *, now: datetime) -> RolloutStatistics:
        """The rollout's window, tier and per-minute statistics at `now`."""
        with self._uow_factory(READER, read_only=True) as uow:
            record = load_rollout(uow, feature_name, environment)
            return load_statistics(uow, record, now)


def load_monitored(uow: UnitOfWork, now: datetime) -> list[tuple[RolloutRecord, RolloutStatistics]]:
    """Every active or paused rollout within `uow` with its statistics at `now`, in two queries."""
    records = uow.rollouts.list(statuses=MONITORED)
    rows = uow.metrics.read_many({stored_id(record): read_since(record, now) for record in records})
    return [(record, rollout_statistics(record, rows[stored_id(record)], now=now)) for record in records]


def load_statistics(uow: UnitOfWork, record: RolloutRecord, now: datetime) -> RolloutStatistics:
    """Read the metric rows `record`'s statistics need and compute them at `now`."""
    return rollout_statistics(record, uow.metrics.read(stored_id(record), read_since(record, now)), now=now)


def load_rollout(uow: UnitOfWork, feature_name: str, environment: str) -> RolloutRecord:
    """The rollout of `feature_name` in `environment` within `uow`; `RolloutNotFound` if none."""
    record = uow.rollouts.get(feature_name, environment)
    if record is None:
        raise RolloutNotFound(f"no rollout of {feature_name!r} in {environment}")
    return record


def stored_id(record: RolloutRecord) -> int:
    """The database id of a stored rollout; `ValueError` for one not stored yet."""
    if record.id is None:
        raise ValueError(f"rollout {record.feature_name!r} has not been stored")
    return record.id
