"""The state machine as pure functions: every legal move, and every illegal one says why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flagpilot.core import TIER_PERCENTAGES, RolloutStatus, Tier
from flagpilot.services.errors import RolloutStateError
from flagpilot.services.rollouts import RolloutConfig, RolloutRecord
from flagpilot.services.rollouts import transitions as rules
from tests.unit.services.rollouts.helpers import ACTOR, DAY, ENV, FLAG, NOW

LATER = NOW + DAY


def at(status: RolloutStatus, tier: Tier = Tier.TIER_1_INTERNAL) -> RolloutRecord:
    planned = rules.new_rollout(FLAG, ENV, RolloutConfig(), actor=ACTOR, now=NOW)
    return replace(
        planned, status=status, current_tier=tier, percentage=TIER_PERCENTAGES[tier], tier_started_at=NOW
    )


def test_new_rollout__is_planned_at_tier_0_with_the_checklist_defaults() -> None:
    # When
    record = rules.new_rollout(FLAG, ENV, RolloutConfig(), actor=ACTOR, now=NOW)

    # Then
    assert (record.status, record.current_tier, record.percentage) == (
        RolloutStatus.PLANNED,
        Tier.TIER_0_DISABLED,
        0.0,
    )
    assert (record.error_rate_threshold, record.time_window_ms) == (0.05, 3_600_000)
    assert (record.min_dwell_seconds, record.min_events, record.version) == (172_800, 100, 1)


def test_start__when_planned__serves_tier_1_at_1_percent_from_now() -> None:
    record = rules.start(at(RolloutStatus.PLANNED, Tier.TIER_0_DISABLED), now=LATER)

    assert (record.status, record.current_tier, record.percentage) == (
        RolloutStatus.ACTIVE,
        Tier.TIER_1_INTERNAL,
        1.0,
    )
    assert record.tier_started_at == LATER
    assert record.updated_at == LATER


@pytest.mark.parametrize(
    ("tier", "expected", "percentage"),
    [
        (Tier.TIER_1_INTERNAL, Tier.TIER_2_EARLY_ADOPTERS, 10.0),
        (Tier.TIER_2_EARLY_ADOPTERS, Tier.TIER_3_GENERAL, 50.0),
        (Tier.TIER_3_GENERAL, Tier.TIER_4_FULL, 100.0),
    ],
)
def test_advance__when_active__moves_to_the_next_tier(tier: Tier, expected: Tier, percentage: float) -> None:
    record = rules.advance(at(RolloutStatus.ACTIVE, tier), now=LATER)

    assert (record.current_tier, record.percentage, record.tier_started_at) == (expected, percentage, LATER)


def test_pause_then_resume__keeps_the_tier_and_its_start() -> None:
    paused = rules.pause(at(RolloutStatus.ACTIVE), now=LATER)
    resumed = rules.resume(paused, now=LATER + DAY)

    assert paused.status is RolloutStatus.PAUSED
    assert resumed.status is RolloutStatus.ACTIVE
    assert (resumed.current_tier, resumed.tier_started_at) == (Tier.TIER_1_INTERNAL, NOW)


@pytest.mark.parametrize(
    "status",
    [RolloutStatus.PLANNED, RolloutStatus.ACTIVE, RolloutStatus.PAUSED, RolloutStatus.COMPLETED],
)
def test_rollback__from_any_state_but_rolled_back__disables_the_feature(status: RolloutStatus) -> None:
    record = rules.rollback(at(status, Tier.TIER_3_GENERAL), reason="errors", now=LATER)

    assert (record.status, record.current_tier, record.percentage) == (
        RolloutStatus.ROLLED_BACK,
        Tier.TIER_0_DISABLED,
        0.0,
    )
    assert record.rollback_reason == "errors"


def test_complete__when_active_at_tier_4__completes() -> None:
    record = rules.complete(at(RolloutStatus.ACTIVE, Tier.TIER_4_FULL), now=LATER)

    assert (record.status, record.current_tier, record.percentage) == (
        RolloutStatus.COMPLETED,
        Tier.TIER_4_FULL,
        100.0,
    )


def test_restart__after_a_rollback__is_planned_again_without_the_reason() -> None:
    rolled = rules.rollback(at(RolloutStatus.ACTIVE), reason="errors", now=LATER)

    record = rules.restart(rolled, now=LATER)

    assert (record.status, record.current_tier, record.percentage) == (
        RolloutStatus.PLANNED,
        Tier.TIER_0_DISABLED,
        0.0,
    )
    assert (record.rollback_reason, record.tier_started_at) == (None, None)


def test_every_transition__bumps_the_version_by_one() -> None:
    record = at(RolloutStatus.ACTIVE)

    assert rules.pause(record, now=LATER).version == record.version + 1
    assert rules.advance(record, now=LATER).version == record.version + 1


ILLEGAL = [
    ("start", RolloutStatus.ACTIVE, Tier.TIER_1_INTERNAL, "only a planned rollout can start"),
    ("start", RolloutStatus.PAUSED, Tier.TIER_1_INTERNAL, "only a planned rollout can start"),
    ("start", RolloutStatus.COMPLETED, Tier.TIER_4_FULL, "only a planned rollout can start"),
    ("start", RolloutStatus.ROLLED_BACK, Tier.TIER_0_DISABLED, "only a planned rollout can start"),
    ("advance", RolloutStatus.PAUSED, Tier.TIER_1_INTERNAL, "cannot advance a paused rollout"),
    ("advance", RolloutStatus.PLANNED, Tier.TIER_0_DISABLED, "start it first"),
    ("advance", RolloutStatus.COMPLETED, Tier.TIER_4_FULL, "cannot advance a completed rollout"),
    ("advance", RolloutStatus.ROLLED_BACK, Tier.TIER_0_DISABLED, "cannot advance a rolled_back rollout"),
    ("advance", RolloutStatus.ACTIVE, Tier.TIER_4_FULL, "complete it instead"),
    ("pause", RolloutStatus.PLANNED, Tier.TIER_0_DISABLED, "only an active rollout can pause"),
    ("pause", RolloutStatus.PAUSED, Tier.TIER_1_INTERNAL, "only an active rollout can pause"),
    ("pause", RolloutStatus.COMPLETED, Tier.TIER_4_FULL, "only an active rollout can pause"),
    ("pause", RolloutStatus.ROLLED_BACK, Tier.TIER_0_DISABLED, "only an active rollout can pause"),
    ("resume", RolloutStatus.PLANNED, Tier.TIER_0_DISABLED, "only a paused rollout can resume"),
    ("resume", RolloutStatus.ACTIVE, Tier.TIER_1_INTERNAL, "only a paused rollout can resume"),
    ("resume", RolloutStatus.COMPLETED, Tier.TIER_4_FULL, "only a paused rollout can resume"),
    ("resume", RolloutStatus.ROLLED_BACK, Tier.TIER_0_DISABLED, "only a paused rollout can resume"),
    ("rollback", RolloutStatus.ROLLED_BACK, Tier.TIER_0_DISABLED, "already rolled back"),
    ("complete", RolloutStatus.ACTIVE, Tier.TIER_3_GENERAL, "only a rollout at tier_4_full can complete"),
    ("complete", RolloutStatus.PAUSED, Tier.TIER_4_FULL, "only an active rollout can complete"),
    ("complete", RolloutStatus.PLANNED, Tier.TIER_0_DISABLED, "only an active rollout can complete"),
    ("complete", RolloutStatus.COMPLETED, Tier.TIER_4_FULL, "only an active rollout can complete"),
    ("complete", RolloutStatus.ROLLED_BACK, Tier.TIER_0_DISABLED, "only an active rollout can complete"),
    ("restart", RolloutStatus.PLANNED, Tier.TIER_0_DISABLED, "only a rolled-back rollout can restart"),
    ("restart", RolloutStatus.ACTIVE, Tier.TIER_1_INTERNAL, "only a rolled-back rollout can restart"),
    ("restart", RolloutStatus.PAUSED, Tier.TIER_1_INTERNAL, "only a rolled-back rollout can restart"),
    ("restart", RolloutStatus.COMPLETED, Tier.TIER_4_FULL, "only a rolled-back rollout can restart"),
]


@pytest.mark.parametrize(("verb", "status", "tier", "message"), ILLEGAL)
def test_illegal_transition__is_refused_with_a_reason(
    verb: str, status: RolloutStatus, tier: Tier, message: str
) -> None:
    # Given
    record = at(status, tier)

    kwargs = {"reason": "why"} if verb == "rollback" else {}

    # When / Then
    with pytest.raises(RolloutStateError, match=message):
        getattr(rules, verb)(record, now=LATER, **kwargs)
