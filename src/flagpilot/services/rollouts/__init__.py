"""Progressive rollouts: the lifecycle, its gates, outcome events, statistics, automatic rollback.

The ports they use are the one unit of work of `flagpilot.services.ports` (SQL in
`flagpilot.storage`, in memory under the tests). Everything here takes time as a `now=` parameter.
"""

from flagpilot.services.rollouts.alerts import Alert, AlertFanout, AlertSink, InMemoryAlerts, Severity
from flagpilot.services.rollouts.checker import AUTO_ACTOR, CheckResult, RollbackChecker
from flagpilot.services.rollouts.config import RolloutConfig
from flagpilot.services.rollouts.decision import (
    DEFAULT_ABSOLUTE,
    DEFAULT_ATTRIBUTION,
    Decision,
    Evidence,
    Finding,
    ProcessEvidence,
    RollbackRule,
    Verdict,
    decide,
)
from flagpilot.services.rollouts.gates import ERROR_RATE, MIN_DWELL, MIN_EVENTS, ClosedGate, closed_gates
from flagpilot.services.rollouts.manager import RolloutManager
from flagpilot.services.rollouts.outcomes import FLUSH_INTERVAL_SECONDS, IngestResult, OutcomeAggregator
from flagpilot.services.rollouts.preset import PresetOutcome, create_preset_rollouts
from flagpilot.services.rollouts.reads import RolloutDetail, load_statistics
from flagpilot.services.rollouts.rollout_records import (
    DEFAULT_ERROR_RATE_THRESHOLD,
    DEFAULT_MIN_DWELL_SECONDS,
    DEFAULT_MIN_EVENTS,
    DEFAULT_TIME_WINDOW_MS,
    Cohort,
    MetricRow,
    RolloutEventRecord,
    RolloutRecord,
)
from flagpilot.services.rollouts.rule_settings import rule_from_environ
from flagpilot.services.rollouts.sequential import Detector, DetectorState, rate_log_lr, share_log_lr
from flagpilot.services.rollouts.statistics import (
    CohortPair,
    CohortStats,
    MinutePoint,
    RolloutStatistics,
    by_tier,
    minute_series,
    read_since,
    rollout_statistics,
    totals,
    totals_of,
)
from flagpilot.services.rollouts.webhook import DeliveryAttempt, HttpPoster, PostFailed, WebhookNotifier

__all__ = [
    "AUTO_ACTOR",
    "DEFAULT_ABSOLUTE",
    "DEFAULT_ATTRIBUTION",
    "DEFAULT_ERROR_RATE_THRESHOLD",
    "DEFAULT_MIN_DWELL_SECONDS",
    "DEFAULT_MIN_EVENTS",
    "DEFAULT_TIME_WINDOW_MS",
    "ERROR_RATE",
    "FLUSH_INTERVAL_SECONDS",
    "MIN_DWELL",
    "MIN_EVENTS",
    "Alert",
    "AlertFanout",
    "AlertSink",
    "CheckResult",
    "ClosedGate",
    "Cohort",
    "CohortPair",
    "CohortStats",
    "Decision",
    "DeliveryAttempt",
    "Detector",
    "DetectorState",
    "Evidence",
    "Finding",
    "HttpPoster",
    "InMemoryAlerts",
    "IngestResult",
    "MetricRow",
    "MinutePoint",
    "OutcomeAggregator",
    "PostFailed",
    "PresetOutcome",
    "ProcessEvidence",
    "RollbackChecker",
    "RollbackRule",
    "RolloutConfig",
    "RolloutDetail",
    "RolloutEventRecord",
    "RolloutManager",
    "RolloutRecord",
    "RolloutStatistics",
    "Severity",
    "Verdict",
    "WebhookNotifier",
    "by_tier",
    "closed_gates",
    "create_preset_rollouts",
    "decide",
    "load_statistics",
    "minute_series",
    "rate_log_lr",
    "read_since",
    "rollout_statistics",
    "rule_from_environ",
    "share_log_lr",
    "totals",
    "totals_of",
]
