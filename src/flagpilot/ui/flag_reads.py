"""What the flags page reads, reused between requests while it cannot have changed.

Listing a thousand flags with their settings, rollouts and override counts takes a few thousand
rows; the database's state version, one row, changes with every one of them (the change
triggers bump it on every write to the flag-state tables). So the list is read again only when
the version or the environments differ from the last read. The version is read before the
list, so a list is never kept under a version older than itself.

Rollout health comes from outcome counts, which change without a version bump; they are reused
for `STATISTICS_SECONDS` at most (they are counted per minute anyway), and read again at once
when any monitored rollout on the page changed (started, moved, paused or ended: its version
differs); a change to flags alone, a bulk toggle say, does not read them again. When flags
were last evaluated matters at the scale of the stale window (days unless configured); it is
read at most once every `EVALUATIONS_SECONDS`, or every twentieth of the window when that is
shorter, so a flag another server evaluated loses its mark in time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flagpilot.core import RolloutStatus
from flagpilot.services.flags import FlagView
from flagpilot.services.rollouts import RolloutStatistics
from flagpilot.ui.flag_rows import latest_evaluations
from flagpilot.ui.services import UiServices

STATISTICS_SECONDS = 5.0
MONITORED = (RolloutStatus.ACTIVE, RolloutStatus.PAUSED)
EVALUATIONS_SECONDS = 60.0

StatisticsByRollout = dict[tuple[str, str], RolloutStatistics]


def evaluations_lifetime(stale_after: timedelta) -> float:
    """How many seconds a read of evaluation times (and the stale marks built on it) is reused."""
    return min(EVALUATIONS_SECONDS, stale_after.total_seconds() / 20)


class FlagPageReads:
    """The flags, and the statistics of the monitored rollouts, for the flags page."""

    def __init__(self, services: UiServices, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._services = services
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._flags: tuple[object, list[FlagView]] | None = None
        self._statistics: tuple[object, float, StatisticsByRollout] | None = None
        self._evaluations: tuple[float, dict[str, datetime]] | None = None

    def flags(self, environments: list[str]) -> list[FlagView]:
        """Every flag not archived, with its state per environment (`FlagManager.list_flags`)."""
        version = self._version(environments)
        with self._lock:
            cached = self._flags
        if version is not None and cached is not None and cached[0] == version:
            return cached[1]
        views = self._services.flags.list_flags()
        self._services.rollout_memory.remember_records(
            (state.rollout for view in views for state in view.environments.values() if state.rollout),
            self._services.clock(),
        )
        if version is not None:
            with self._lock:
                self._flags = (version, views)
        return views

    def statistics(self, views: list[FlagView], now: datetime) -> StatisticsByRollout:
        """The statistics of each active or paused rollout at about `now`, by flag and environment
        (the same mapping while it is reused: while the monitored rollouts of `views` are the
        same versions, for `STATISTICS_SECONDS` at most)."""
        monitored = tuple(
            sorted(
                (rollout.feature_name, rollout.environment, rollout.version)
                for view in views
                for state in view.environments.values()
                if (rollout := state.rollout) is not None and rollout.status in MONITORED
            )
        )
        moment = self._monotonic()
        with self._lock:
            cached = self._statistics
        if cached is not None and cached[0] == monitored and moment - cached[1] < STATISTICS_SECONDS:
            return cached[2]
        found = {
            (record.feature_name, record.environment): stats
            for record, stats in self._services.rollouts.monitored_statistics(now)
        }
        with self._lock:
            self._statistics = (monitored, moment, found)
        return found

    def last_evaluated(self) -> dict[str, datetime] | None:
        """When each flag was last evaluated in any environment; None when nothing counts them."""
        log = self._services.evaluations
        if log is None:
            return None
        moment = self._monotonic()
        with self._lock:
            cached = self._evaluations
        if cached is not None and moment - cached[0] < evaluations_lifetime(self._services.stale_after):
            return cached[1]
        latest = latest_evaluations(log.last_evaluated())
        with self._lock:
            self._evaluations = (moment, latest)
        return latest

    def _version(self, environments: list[str]) -> object | None:
        if self._services.state_version is None:
            return None
        return (self._services.state_version(), tuple(environments))
