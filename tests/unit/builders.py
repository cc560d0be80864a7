"""Small builders for flag states, snapshots and contexts, so each test states only what matters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flagpilot.core import (
    UNSET,
    EnvironmentConfig,
    EvaluationContext,
    FlagDefinition,
    FlagState,
    FlagType,
    Rollout,
    RolloutStatus,
    Snapshot,
    Tier,
    frozen_mapping,
)
from tests.unit.reference import customer_with_bucket

KEY = "new_checkout"
INSIDE_10 = customer_with_bucket(KEY, range(0, 1000))
"""A customer inside a 10% rollout of KEY, found with the reference hash (not the code under test)."""
OUTSIDE_10 = customer_with_bucket(KEY, range(1000, 10_000))
"""A customer outside a 10% rollout of KEY."""


def flag(
    key: str = KEY,
    *,
    type: FlagType = FlagType.BOOL,
    default: Any = False,
    killed: bool = False,
    value: Any = UNSET,
    rollout: Rollout | None = None,
    organizations: Mapping[str, Any] | None = None,
    customers: Mapping[str, Any] | None = None,
    prerequisites: tuple[str, ...] = (),
) -> FlagState:
    """One flag in one environment; by default a boolean flag that is off and configured not at all."""
    return FlagState(
        definition=FlagDefinition(key=key, type=type, default=default, prerequisites=prerequisites),
        config=EnvironmentConfig(
            killed=killed,
            value=value,
            rollout=rollout,
            organization_overrides=frozen_mapping(organizations),
            customer_overrides=frozen_mapping(customers),
        ),
    )


def rollout(
    percentage: float,
    *,
    status: RolloutStatus = RolloutStatus.ACTIVE,
    tier: Tier = Tier.TIER_2_EARLY_ADOPTERS,
    whitelist: Iterable[str] = (),
    group_id: str | None = None,
    stickiness: str = "customerId",
) -> Rollout:
    """A rollout at `percentage`, active unless told otherwise."""
    return Rollout(
        tier=tier,
        percentage=percentage,
        status=status,
        whitelist=frozenset(whitelist),
        group_id=group_id,
        stickiness=stickiness,
    )


def snapshot(*states: FlagState, version: int = 1, flags_enabled: bool = True) -> Snapshot:
    """A production snapshot of `states`."""
    return Snapshot(states, environment="production", version=version, flags_enabled=flags_enabled)


def ctx(customer: str | None = None, organization: str | None = None, **attributes: Any) -> EvaluationContext:
    """Who asks: a customer, their organization and free attributes."""
    return EvaluationContext(customer_id=customer, organization_id=organization, attributes=attributes)
