"""The product's six preset rollouts (phases 2 and 3), created in one call by the CLI and the UI.

Each is planned at tier 0 with the checklist's settings (5% error rate over one hour, the
default dwell and evidence), whitelisting the operator's internal customers. Idempotent: a
rollout that exists already is reported and left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flagpilot.presets import ROLLOUT_FLAGS
from flagpilot.services.errors import AlreadyExists
from flagpilot.services.rollouts.config import RolloutConfig
from flagpilot.services.rollouts.manager import RolloutManager
from flagpilot.services.rollouts.rollout_records import RolloutRecord

PRESET_REASON = "rollout init-preset"


@dataclass(frozen=True, slots=True)
class PresetOutcome:
    """One preset rollout: `created` now, or `exists` already (then as it stands)."""

    result: str
    rollout: RolloutRecord


def create_preset_rollouts(
    manager: RolloutManager,
    environment: str,
    internal_customers: Sequence[str],
    *,
    actor: str,
    now: datetime,
) -> list[PresetOutcome]:
    """Create the six preset rollouts in `environment`; what happened to each."""
    config = RolloutConfig(whitelisted_customers=tuple(internal_customers))
    outcomes = []
    for feature in ROLLOUT_FLAGS:
        try:
            record = manager.create(feature, environment, config, actor=actor, now=now, reason=PRESET_REASON)
            outcomes.append(PresetOutcome("created", record))
        except AlreadyExists:
            outcomes.append(PresetOutcome("exists", manager.get(feature, environment)))
    return outcomes
