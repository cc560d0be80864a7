"""Prometheus metrics of one app, in a registry of its own.

A per-app `CollectorRegistry` (not the process-global one) lets several apps live in one
process — tests build many — without clashing names. Evaluation counts are kept one answer at a
time on the request path (`evaluation_tally`: one increment for a whole widget document) and
turned into Prometheus samples only when `/metrics` is scraped, and so are request counts and latencies
(`request_stats`); cache and snapshot figures are read from the `SnapshotProvider` at scrape
time, so they are never out of date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from flagpilot.api.evaluation_tally import EvaluationTally
from flagpilot.api.request_stats import RequestStats
from flagpilot.core import ErrorCode, EvaluationResult
from flagpilot.services.snapshots import SnapshotProvider

UNKNOWN_FLAG = "(unknown)"
"""The flag label of evaluations of flags that do not exist: callers choose those keys, so
labelling them by key would let anyone grow the metric without bound."""

UNMATCHED_ROUTE = "(unmatched)"

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _ServingCollector:
    """Samples computed at scrape time from the evaluation counts and the snapshot cache."""

    def __init__(self, snapshots: SnapshotProvider, flags_enabled: bool, evaluations: EvaluationTally):
        self._snapshots = snapshots
        self._flags_enabled = flags_enabled
        self._evaluations = evaluations

    def collect(self) -> Iterator[Metric]:
        evaluations = CounterMetricFamily(
            "flagpilot_evaluations", "Flag evaluations served, by flag and reason.", labels=["flag", "reason"]
        )
        for (flag, reason), count in sorted(self._evaluations.totals().items()):
            evaluations.add_metric([flag, str(reason)], count)
        yield evaluations
        stats = self._snapshots.stats()
        yield CounterMetricFamily(
            "flagpilot_snapshot_cache_hits", "Snapshot reads served from memory.", stats.hits
        )
        yield CounterMetricFamily(
            "flagpilot_snapshot_cache_misses", "Snapshot reads that had to build a snapshot.", stats.misses
        )
        yield GaugeMetricFamily(
            "flagpilot_snapshot_age_seconds",
            "Seconds since the snapshots were last confirmed current against the database.",
            stats.age_seconds,
        )
        versions = GaugeMetricFamily(
            "flagpilot_snapshot_version",
            "Version of the snapshot served, by environment.",
            labels=["environment"],
        )
        for environment, version in stats.versions.items():
            versions.add_metric([environment], version)
        yield versions
        yield GaugeMetricFamily(
            "flagpilot_database_version",
            "The newest state version this replica has seen in the database.",
            stats.database_version,
        )
        if stats.listening is not None:
            yield GaugeMetricFamily(
                "flagpilot_listen_healthy",
                "1 while change notifications arrive (the listener's own echo came back in time).",
                int(stats.listening),
            )
        yield GaugeMetricFamily(
            "flagpilot_snapshot_stale",
            "1 while old snapshots are served because the database is unreachable.",
            int(stats.stale),
        )
        yield GaugeMetricFamily(
            "flagpilot_flags_enabled",
            "0 while the master switch serves built-in defaults only.",
            int(self._flags_enabled),
        )


class ApiMetrics:
    """The counters and histograms the API records, and their exposition.

    Args:
        snapshots: read at scrape time for cache and snapshot figures.
        flags_enabled: the master switch, exposed as a gauge.
        collectors: further collectors to expose, e.g. the storage layer's query times.
    """

    def __init__(
        self, snapshots: SnapshotProvider, flags_enabled: bool, collectors: Sequence[Collector] = ()
    ) -> None:
        self.registry = CollectorRegistry()
        self.evaluations = EvaluationTally()
        request_stats = RequestStats(LATENCY_BUCKETS)
        self.registry.register(request_stats)
        # The collector's own method, not a wrapper around it: a Python call more is a third of
        # what recording a request costs.
        self.observe_request = request_stats.observe
        """Record one answered request: `(method, route, status, seconds)`, on the event-loop thread."""
        self.registry.register(_ServingCollector(snapshots, flags_enabled, self.evaluations))
        for collector in collectors:
            self.registry.register(collector)
        self.count = self.evaluations.count
        """Count one answer's evaluations of flags that exist: `(keys, results)`, in the same order."""

    def count_one(self, result: EvaluationResult) -> None:
        """Count one evaluation of a flag the caller named, which may not exist."""
        key = UNKNOWN_FLAG if result.error_code is ErrorCode.FLAG_NOT_FOUND else result.key
        self.evaluations.count_one(key, result.reason)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
