"""The rollouts package's public surface is deliberate: its `__all__` resolves and does not drift."""

from __future__ import annotations

from flagpilot.services import rollouts

EXPECTED = {
    "AUTO_ACTOR", "DEFAULT_ABSOLUTE", "DEFAULT_ATTRIBUTION", "DEFAULT_ERROR_RATE_THRESHOLD",
    "DEFAULT_MIN_DWELL_SECONDS", "DEFAULT_MIN_EVENTS", "DEFAULT_TIME_WINDOW_MS", "ERROR_RATE",
    "FLUSH_INTERVAL_SECONDS", "MIN_DWELL", "MIN_EVENTS", "Alert", "AlertFanout", "AlertSink",
    "CheckResult", "ClosedGate", "Cohort", "CohortPair", "CohortStats", "Decision",
    "DeliveryAttempt", "Detector", "DetectorState", "Evidence", "Finding", "HttpPoster",
    "InMemoryAlerts", "IngestResult", "MetricRow",
    "MinutePoint", "OutcomeAggregator", "PostFailed", "PresetOutcome", "ProcessEvidence",
    "RollbackChecker", "RollbackRule", "RolloutConfig", "RolloutDetail", "RolloutEventRecord",
    "RolloutManager",
    "RolloutRecord", "RolloutStatistics", "Severity", "Verdict", "create_preset_rollouts",
    "WebhookNotifier", "by_tier", "closed_gates", "decide", "load_statistics", "minute_series",
    "rate_log_lr", "read_since", "rollout_statistics", "rule_from_environ", "share_log_lr", "totals",
    "totals_of",
}  # fmt: skip


def test_all__lists_exactly_the_intended_names_and_each_resolves() -> None:
    assert set(rollouts.__all__) == EXPECTED
    assert all(getattr(rollouts, name, None) is not None for name in rollouts.__all__)
