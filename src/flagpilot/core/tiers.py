"""The tier ladder and which rollout states put a rollout in front of customers."""

from __future__ import annotations

from flagpilot.core.enums import RolloutStatus, Tier

TIER_ORDER: tuple[Tier, ...] = (
    Tier.TIER_0_DISABLED,
    Tier.TIER_1_INTERNAL,
    Tier.TIER_2_EARLY_ADOPTERS,
    Tier.TIER_3_GENERAL,
    Tier.TIER_4_FULL,
)

TIER_PERCENTAGES: dict[Tier, float] = {
    Tier.TIER_0_DISABLED: 0.0,
    Tier.TIER_1_INTERNAL: 1.0,
    Tier.TIER_2_EARLY_ADOPTERS: 10.0,
    Tier.TIER_3_GENERAL: 50.0,
    Tier.TIER_4_FULL: 100.0,
}

# A paused rollout keeps serving its tier (pausing stops progress, not exposure); a completed one
# holds tier 4. A planned rollout serves nothing and evaluation falls through; a rolled-back one
# is an emergency stop that turns the flag off for everyone (compiled.stopped).
SERVING_STATUSES: frozenset[RolloutStatus] = frozenset(
    {RolloutStatus.ACTIVE, RolloutStatus.PAUSED, RolloutStatus.COMPLETED}
)


def tier_index(tier: Tier) -> int:
    """Position of `tier` on the ladder, 0 to 4."""
    return TIER_ORDER.index(tier)


def next_tier(tier: Tier) -> Tier | None:
    """The tier after `tier`, or None at the top of the ladder."""
    index = tier_index(tier)
    return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None
