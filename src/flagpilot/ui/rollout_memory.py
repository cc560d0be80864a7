"""The rollouts as the admin pages last read them, to show while the database is unreachable.

Rollouts live only in the database; the serving snapshots do not carry them. So every read that
succeeds leaves its rollouts here: the flags page's list (each flag's rollout per environment),
the rollouts list, and a rollout's page with its statistics and events. During an outage the
rollout pages render from this last good read, say when it was taken, and offer no control.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flagpilot.services.rollouts import RolloutEventRecord, RolloutRecord, RolloutStatistics

RolloutKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class RememberedRollout:
    """A rollout as last read, with its statistics and events when its page read them."""

    record: RolloutRecord
    read_at: datetime
    statistics: RolloutStatistics | None = None
    events: tuple[RolloutEventRecord, ...] | None = None


class RolloutMemory:
    """The last good read of every rollout the pages have seen (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rollouts: dict[RolloutKey, RememberedRollout] = {}
        self._listed_at: datetime | None = None

    def remember_records(self, records: Iterable[RolloutRecord], read_at: datetime) -> None:
        """Rollouts read in a list (the flags page's or the rollouts page's), added to those known;
        the statistics and events of one unchanged since its page was read are kept."""
        with self._lock:
            known = dict(self._rollouts)
            for record in records:
                key = (record.feature_name, record.environment)
                earlier = known.get(key)
                if earlier is not None and earlier.record == record:
                    known[key] = RememberedRollout(record, read_at, earlier.statistics, earlier.events)
                else:
                    known[key] = RememberedRollout(record, read_at)
            self._rollouts = known
            self._listed_at = read_at

    def remember_page(
        self,
        record: RolloutRecord,
        statistics: RolloutStatistics,
        events: Sequence[RolloutEventRecord],
        read_at: datetime,
    ) -> None:
        """A rollout's page as read."""
        with self._lock:
            self._rollouts = {
                **self._rollouts,
                (record.feature_name, record.environment): RememberedRollout(
                    record, read_at, statistics, tuple(events)
                ),
            }

    def get(self, feature_name: str, environment: str) -> RememberedRollout | None:
        """The last good read of one rollout, if any."""
        return self._rollouts.get((feature_name, environment))

    def records(self) -> list[RolloutRecord]:
        """Every rollout remembered, by flag and environment."""
        return [self._rollouts[key].record for key in sorted(self._rollouts)]

    def listed_at(self) -> datetime | None:
        """When the rollouts were last read as a list (None: never, so no list can be shown)."""
        return self._listed_at
