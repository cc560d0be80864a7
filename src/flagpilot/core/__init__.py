"""The pure evaluation core: flag models, bucketing, tiers, evaluation, snapshots, validation.

No I/O, no clock, no randomness: the server, the admin API, the widget endpoint and the SDK all
evaluate through this package, so they cannot disagree.
"""

from flagpilot.core.bucketing import bucket, hash_key, in_rollout, threshold, unleash_normalized
from flagpilot.core.context import EvaluationContext
from flagpilot.core.enums import ErrorCode, FlagType, Reason, RolloutStatus, Tier
from flagpilot.core.errors import CoreError, InvalidConfiguration, Problem
from flagpilot.core.explain import Explanation, Step, explain_state
from flagpilot.core.model import (
    UNSET,
    EnvironmentConfig,
    FlagDefinition,
    FlagState,
    FlagValue,
    Rollout,
    frozen_mapping,
    value_matches_type,
)
from flagpilot.core.result import EvaluationResult
from flagpilot.core.servable import servable_states
from flagpilot.core.snapshot import NO_DEFAULT, Snapshot
from flagpilot.core.tiers import (
    SERVING_STATUSES,
    TIER_ORDER,
    TIER_PERCENTAGES,
    next_tier,
    tier_index,
)
from flagpilot.core.validation import (
    check_config,
    check_definition,
    check_states,
    check_value,
    ensure_valid,
    json_value_problem,
    text_problem,
)
from flagpilot.core.wire import (
    FORMAT_VERSION,
    schema_text,
    snapshot_from_dict,
    snapshot_to_dict,
    state_from_dict,
    state_to_dict,
)

__all__ = [
    "FORMAT_VERSION",
    "NO_DEFAULT",
    "SERVING_STATUSES",
    "TIER_ORDER",
    "TIER_PERCENTAGES",
    "UNSET",
    "CoreError",
    "EnvironmentConfig",
    "ErrorCode",
    "EvaluationContext",
    "EvaluationResult",
    "Explanation",
    "FlagDefinition",
    "FlagState",
    "FlagType",
    "FlagValue",
    "InvalidConfiguration",
    "Problem",
    "Reason",
    "Rollout",
    "RolloutStatus",
    "Snapshot",
    "Step",
    "Tier",
    "bucket",
    "check_config",
    "check_definition",
    "check_states",
    "check_value",
    "ensure_valid",
    "explain_state",
    "frozen_mapping",
    "hash_key",
    "in_rollout",
    "json_value_problem",
    "next_tier",
    "schema_text",
    "servable_states",
    "snapshot_from_dict",
    "snapshot_to_dict",
    "state_from_dict",
    "state_to_dict",
    "text_problem",
    "threshold",
    "tier_index",
    "unleash_normalized",
    "value_matches_type",
]
