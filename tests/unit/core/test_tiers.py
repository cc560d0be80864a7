"""The tier ladder: five tiers, fixed percentages, and which rollout states serve."""

from __future__ import annotations

import pytest

from flagpilot.core import (
    SERVING_STATUSES,
    TIER_ORDER,
    TIER_PERCENTAGES,
    Rollout,
    RolloutStatus,
    Tier,
    next_tier,
    tier_index,
)


def test_tiers__are_the_five_of_the_design_with_their_percentages() -> None:
    assert [(tier.value, TIER_PERCENTAGES[tier]) for tier in TIER_ORDER] == [
        ("tier_0_disabled", 0),
        ("tier_1_internal", 1),
        ("tier_2_early_adopters", 10),
        ("tier_3_general", 50),
        ("tier_4_full", 100),
    ]


def test_next_tier__climbs_the_ladder_and_stops_at_the_top() -> None:
    assert [next_tier(tier) for tier in TIER_ORDER] == [*TIER_ORDER[1:], None]
    assert [tier_index(tier) for tier in TIER_ORDER] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("status", "serving"),
    [
        (RolloutStatus.PLANNED, False),
        (RolloutStatus.ACTIVE, True),
        (RolloutStatus.PAUSED, True),
        (RolloutStatus.COMPLETED, True),
        (RolloutStatus.ROLLED_BACK, False),
    ],
)
def test_rollout_serving__only_when_active_paused_or_completed(status: RolloutStatus, serving: bool) -> None:
    assert Rollout(status=status).serving is serving
    assert (status in SERVING_STATUSES) is serving


def test_rollout_at_tier__takes_the_tiers_percentage() -> None:
    rollout = Rollout.at_tier(Tier.TIER_3_GENERAL, RolloutStatus.ACTIVE, whitelist=frozenset({"c-1"}))

    assert (rollout.percentage, rollout.status, rollout.whitelist) == (50, RolloutStatus.ACTIVE, {"c-1"})
