"""The rollout records the services hand to and receive from storage, shaped like its tables.

`RolloutRecord` mirrors a `feature_rollouts` row, `RolloutEventRecord` a `rollout_events` row and
`MetricRow` a `rollout_metrics` row, so a SQL unit of work maps them column for column. Records
are immutable: a transition returns a new record with the version bumped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from flagpilot.core import Rollout, RolloutStatus, Tier

DEFAULT_ERROR_RATE_THRESHOLD = 0.05
DEFAULT_TIME_WINDOW_MS = 3_600_000
DEFAULT_MIN_DWELL_SECONDS = 48 * 3600
DEFAULT_MIN_EVENTS = 100


class Cohort(StrEnum):
    """Which side of the split an outcome came from.

    `treatment` and `control` are the customers the hash put inside or outside the tier (the
    randomised split); `whitelisted` customers have the feature too but were chosen, not drawn,
    so the statistics count them as treatment everywhere except where the split must be random
    (the attribution of errors to the feature).
    """

    TREATMENT = "treatment"
    CONTROL = "control"
    WHITELISTED = "whitelisted"


@dataclass(frozen=True, slots=True)
class RolloutRecord:
    """One rollout of one flag in one environment (a `feature_rollouts` row).

    Attributes:
        feature_name: the flag key.
        environment: the environment the rollout runs in.
        current_tier: the tier being served.
        percentage: the tier's share of customers (0–100).
        status: the lifecycle state.
        whitelisted_customers: customers who get the feature whenever the rollout serves.
        error_rate_threshold: error rate (0–1) above which the rollout rolls itself back.
        time_window_ms: the window over which the current error rate is judged.
        min_dwell_seconds: how long a tier is held before it may advance.
        min_events: outcome events a tier needs before it may advance or be judged.
        tier_started_at: when the current tier began (None while planned).
        rollback_reason: why it was rolled back, while rolled back.
        version: optimistic-concurrency version, bumped by every transition.
        created_by: who created it.
        created_at: when it was created.
        updated_at: when it last changed.
        id: the storage id (None until stored); metrics and events refer to it.
    """

    feature_name: str
    environment: str
    current_tier: Tier = Tier.TIER_0_DISABLED
    percentage: float = 0.0
    status: RolloutStatus = RolloutStatus.PLANNED
    whitelisted_customers: tuple[str, ...] = ()
    error_rate_threshold: float = DEFAULT_ERROR_RATE_THRESHOLD
    time_window_ms: int = DEFAULT_TIME_WINDOW_MS
    min_dwell_seconds: int = DEFAULT_MIN_DWELL_SECONDS
    min_events: int = DEFAULT_MIN_EVENTS
    tier_started_at: datetime | None = None
    rollback_reason: str | None = None
    version: int = 1
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None

    def with_id(self, rollout_id: int) -> RolloutRecord:
        """The same record as stored under `rollout_id`."""
        return replace(self, id=rollout_id)

    def to_core(self) -> Rollout:
        """The rollout as the evaluation core serves it (group defaults to the flag key)."""
        return Rollout(
            tier=self.current_tier,
            percentage=self.percentage,
            status=self.status,
            whitelist=frozenset(self.whitelisted_customers),
            rollback_reason=self.rollback_reason if self.status is RolloutStatus.ROLLED_BACK else None,
        )


@dataclass(frozen=True, slots=True)
class RolloutEventRecord:
    """One lifecycle transition (a `rollout_events` row).

    Attributes:
        rollout_id: the rollout's storage id.
        feature_name: the flag key.
        event_type: created, started, advanced, paused, resumed, rolled_back, completed, restarted.
        from_tier: tier before (None on creation).
        to_tier: tier after.
        from_status: status before (None on creation).
        to_status: status after.
        actor: who or what did it (`flagpilot-autorollback` for automatic decisions).
        reason: why, in the actor's words.
        details: evidence, skipped gates, ... (JSON-serialisable).
        created_at: when.
    """

    rollout_id: int
    feature_name: str
    event_type: str
    from_tier: Tier | None
    to_tier: Tier | None
    from_status: RolloutStatus | None
    to_status: RolloutStatus | None
    actor: str
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MetricRow:
    """Outcome counts of one rollout in one minute, tier and cohort (a `rollout_metrics` row).

    Flushed rows are deltas: storage adds them to what is there, so replicas sum.
    """

    rollout_id: int
    minute: datetime
    tier: Tier
    cohort: Cohort
    successes: int = 0
    errors: int = 0
