"""The rollouts' Prometheus metrics, as the alert rules in deploy/prometheus read them.

    flagpilot_rollout_error_rate{feature,environment}       treatment error rate in the window
    flagpilot_rollout_success_rate{feature,environment}     treatment success rate in the window
    flagpilot_rollout_auto_rollbacks_total{feature,environment}

The rates are what the rollout page and the checker see: the statistics of every active or
paused rollout with events in its window, from the rollout services' one statistics cache
(`RolloutReads.recent_monitored_statistics`). A scrape within a few seconds of the leader's
check, or of another scrape, reuses that read; otherwise it reads them (two queries however many
rollouts there are). A rollout without events has no rate: a 0% success rate would page
someone for a rollout nobody has used yet.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from flagpilot.services.errors import ServiceError
from flagpilot.services.rollouts import Alert, RolloutManager

LABELS = ["feature", "environment"]
CACHE_SECONDS = 5.0

log = logging.getLogger(__name__)


class AutoRollbackCounter:
    """An `AlertSink` counting automatic rollbacks by flag and environment."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def emit(self, alert: Alert) -> None:
        """Count `alert` if it reports an automatic rollback."""
        if alert.kind == "rollout.auto_rollback":
            with self._lock:
                self._counts[alert.feature_name, alert.environment] += 1

    def counts(self) -> dict[tuple[str, str], int]:
        """The counts so far, by (flag, environment)."""
        with self._lock:
            return dict(self._counts)


class RolloutCollector:
    """Collects the rollout metrics above at scrape time."""

    def __init__(
        self,
        manager: RolloutManager,
        rollbacks: AutoRollbackCounter,
        clock: Callable[[], datetime],
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._manager = manager
        self._rollbacks = rollbacks
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._rates: list[tuple[str, str, float, float]] = []
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        """The gauges and the counter, in Prometheus' data model."""
        errors = GaugeMetricFamily(
            "flagpilot_rollout_error_rate", "Treatment error rate in the rollout's window.", labels=LABELS
        )
        successes = GaugeMetricFamily(
            "flagpilot_rollout_success_rate", "Treatment success rate in the rollout's window.", labels=LABELS
        )
        for feature, environment, error_rate, success_rate in self._current_rates():
            errors.add_metric([feature, environment], error_rate)
            successes.add_metric([feature, environment], success_rate)
        rollbacks = CounterMetricFamily(
            "flagpilot_rollout_auto_rollbacks", "Automatic rollbacks made by this replica.", labels=LABELS
        )
        for (feature, environment), count in sorted(self._rollbacks.counts().items()):
            rollbacks.add_metric([feature, environment], count)
        yield errors
        yield successes
        yield rollbacks

    def _current_rates(self) -> list[tuple[str, str, float, float]]:
        with self._lock:  # concurrent scrapes wait for one read rather than each making one
            try:
                self._rates = self._read_rates()
            except ServiceError as exc:  # the last rates read stand until the database answers
                log.warning("rollout rates unavailable for /metrics: %s", exc.detail)
            return self._rates

    def _read_rates(self) -> list[tuple[str, str, float, float]]:
        rates = []
        monitored = self._manager.recent_monitored_statistics(self._clock(), self._cache_seconds)
        for record, statistics in monitored:
            treatment = statistics.window.treatment
            if treatment.exposures:
                rates.append(
                    (record.feature_name, record.environment, treatment.error_rate, treatment.success_rate)
                )
        return rates
