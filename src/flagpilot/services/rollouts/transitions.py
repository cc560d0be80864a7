"""The rollout state machine as pure functions: record in, record out, or `RolloutStateError`.

    planned ──start──▶ active ──advance──▶ active (next tier) ... tier 4 ──complete──▶ completed
                        │  ▲
                  pause │  │ resume
                        ▼  │
                       paused
    any state but rolled_back ──rollback──▶ rolled_back ──restart──▶ planned

Each function checks its precondition and says why when it does not hold; none reads the clock
(`now` is a parameter) and none applies the advance gates (see `gates`), so they can be tested,
replayed and simulated without storage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flagpilot.core import TIER_PERCENTAGES, RolloutStatus, Tier, next_tier
from flagpilot.services.errors import RolloutStateError
from flagpilot.services.rollouts.config import RolloutConfig
from flagpilot.services.rollouts.rollout_records import RolloutRecord


@dataclass(frozen=True, slots=True)
class Verb:
    """A transition's names: the audit action is `rollout.<name>`, the event type `event_type`."""

    name: str
    event_type: str

    @property
    def action(self) -> str:
        """The audit action, e.g. `rollout.advance`."""
        return f"rollout.{self.name}"


CREATE = Verb("create", "created")
START = Verb("start", "started")
ADVANCE = Verb("advance", "advanced")
PAUSE = Verb("pause", "paused")
RESUME = Verb("resume", "resumed")
ROLLBACK = Verb("rollback", "rolled_back")
COMPLETE = Verb("complete", "completed")
RESTART = Verb("restart", "restarted")
AUTO_ROLLBACK = Verb("auto_rollback", "rolled_back")
AUTO_PAUSE = Verb("auto_pause", "paused")


def new_rollout(
    feature_name: str, environment: str, config: RolloutConfig, *, actor: str, now: datetime
) -> RolloutRecord:
    """A planned rollout at tier 0 (0%) with `config`'s settings (validated by the caller)."""
    return RolloutRecord(
        feature_name=feature_name,
        environment=environment,
        whitelisted_customers=config.whitelisted_customers,
        error_rate_threshold=config.error_rate_threshold,
        time_window_ms=config.time_window_ms,
        min_dwell_seconds=config.min_dwell_seconds,
        min_events=config.min_events,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


def start(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
    """planned → active at tier 1 (1%)."""
    if record.status is not RolloutStatus.PLANNED:
        raise RolloutStateError(f"only a planned rollout can start; {_name(record)} is {record.status}")
    return _at(record, Tier.TIER_1_INTERNAL, RolloutStatus.ACTIVE, now)


def advance(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
    """active at tier n → active at tier n + 1 (gates are checked separately)."""
    status = record.status
    if status is RolloutStatus.PAUSED:
        raise RolloutStateError(f"cannot advance a paused rollout ({_name(record)}); resume it first")
    if status is RolloutStatus.PLANNED:
        raise RolloutStateError(f"cannot advance a planned rollout ({_name(record)}); start it first")
    if status is not RolloutStatus.ACTIVE:
        raise RolloutStateError(f"cannot advance a {status} rollout ({_name(record)})")
    following = next_tier(record.current_tier)
    if following is None:
        raise RolloutStateError(
            f"{_name(record)} is already at {record.current_tier} (100%); complete it instead"
        )
    return _at(record, following, RolloutStatus.ACTIVE, now)


def pause(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
    """active → paused: progress stops, the tier keeps serving."""
    if record.status is not RolloutStatus.ACTIVE:
        raise RolloutStateError(f"only an active rollout can pause; {_name(record)} is {record.status}")
    return _bump(replace(record, status=RolloutStatus.PAUSED), now)


def resume(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
    """paused → active, at the same tier; the tier's dwell time keeps counting from its start."""
    if record.status is not RolloutStatus.PAUSED:
        raise RolloutStateError(f"only a paused rollout can resume; {_name(record)} is {record.status}")
    return _bump(replace(record, status=RolloutStatus.ACTIVE), now)


def rollback(record: RolloutRecord, *, reason: str, now: datetime) -> RolloutRecord:
    """Any state but rolled_back → rolled_back at tier 0 (0%): nobody gets the feature."""
    if record.status is RolloutStatus.ROLLED_BACK:
        raise RolloutStateError(f"{_name(record)} is already rolled back")
    rolled = _at(record, Tier.TIER_0_DISABLED, RolloutStatus.ROLLED_BACK, now)
    return replace(rolled, rollback_reason=reason)


def complete(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
    """active at tier 4 → completed: the feature stays on for everyone and monitoring ends."""
    if record.status is not RolloutStatus.ACTIVE:
        raise RolloutStateError(f"only an active rollout can complete; {_name(record)} is {record.status}")
    if record.current_tier is not Tier.TIER_4_FULL:
        raise RolloutStateError(
            f"{_name(record)} is at {record.current_tier}; only a rollout at {Tier.TIER_4_FULL} can complete"
        )
    return _bump(replace(record, status=RolloutStatus.COMPLETED), now)


def restart(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
    """rolled_back → planned at tier 0, ready to start again once the cause is fixed."""
    if record.status is not RolloutStatus.ROLLED_BACK:
        raise RolloutStateError(f"only a rolled-back rollout can restart; {_name(record)} is {record.status}")
    planned = replace(record, status=RolloutStatus.PLANNED, tier_started_at=None, rollback_reason=None)
    return _bump(planned, now)


def _at(record: RolloutRecord, tier: Tier, status: RolloutStatus, now: datetime) -> RolloutRecord:
    moved = replace(
        record, current_tier=tier, percentage=TIER_PERCENTAGES[tier], status=status, tier_started_at=now
    )
    return _bump(moved, now)


def _bump(record: RolloutRecord, now: datetime) -> RolloutRecord:
    return replace(record, version=record.version + 1, updated_at=now)


def _name(record: RolloutRecord) -> str:
    return f"rollout {record.feature_name!r} in {record.environment}"
