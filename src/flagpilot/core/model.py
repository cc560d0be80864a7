"""Flag definitions and their per-environment configuration: plain, immutable data.

A `FlagDefinition` says what a flag is (key, type, default, phase); an `EnvironmentConfig` says
how it is set in one environment (kill switch, value, rollout, overrides). A `FlagState` pairs
the two, and a snapshot is built from the states of one environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from flagpilot.core.enums import FlagType, RolloutStatus, Tier
from flagpilot.core.tiers import SERVING_STATUSES, TIER_PERCENTAGES

FlagValue: TypeAlias = Any
"""A JSON value: bool, number, string, list or object, checked against the flag's `FlagType`."""


class _Unset:
    """Marker for "no environment value": distinct from a configured `None` or `False`."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()

_NO_OVERRIDES: Mapping[str, FlagValue] = MappingProxyType({})


def frozen_mapping(values: Mapping[str, FlagValue] | None) -> Mapping[str, FlagValue]:
    """A read-only copy of `values`, so a config cannot change under a compiled snapshot."""
    if not values:
        return _NO_OVERRIDES
    return MappingProxyType(dict(values))


def value_matches_type(value: FlagValue, flag_type: FlagType) -> bool:
    """Whether `value` is a legal value for a flag of `flag_type`."""
    if flag_type is FlagType.BOOL:
        return isinstance(value, bool)
    if flag_type is FlagType.STRING:
        return isinstance(value, str)
    if flag_type is FlagType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return value is not None


def override_applies(recorded_in: str | None, organization: str | None) -> bool:
    """Whether a customer override recorded in `recorded_in` (None: in no organization) applies
    to a context naming `organization` (None or empty: naming none)."""
    return recorded_in is None or not organization or organization == recorded_in


@dataclass(frozen=True, slots=True)
class Rollout:
    """A progressive rollout of a boolean flag in one environment.

    Attributes:
        tier: the current tier.
        percentage: share of customers that get the feature (0–100, 0.01 steps).
        status: lifecycle state; only active, paused and completed rollouts serve.
        whitelist: customers who get the feature whenever the rollout serves.
        group_id: hashing group; None means the flag key, so each flag has its own cohort.
        stickiness: what is bucketed: `customerId`, `organizationId` or an attribute name.
        rollback_reason: why a rolled-back rollout was rolled back, for the explain trace.
    """

    tier: Tier = Tier.TIER_0_DISABLED
    percentage: float = 0.0
    status: RolloutStatus = RolloutStatus.PLANNED
    whitelist: frozenset[str] = frozenset()
    group_id: str | None = None
    stickiness: str = "customerId"
    rollback_reason: str | None = None

    @property
    def serving(self) -> bool:
        """Whether the rollout currently decides the flag's value."""
        return self.status in SERVING_STATUSES

    @classmethod
    def at_tier(cls, tier: Tier, status: RolloutStatus, **kwargs: Any) -> Rollout:
        """A rollout at `tier` with that tier's percentage."""
        return cls(tier=tier, percentage=TIER_PERCENTAGES[tier], status=status, **kwargs)


@dataclass(frozen=True, slots=True)
class EnvironmentConfig:
    """How one flag is set in one environment.

    Attributes:
        killed: the kill switch; when on, the flag is off for everyone in the environment.
        value: the environment value, or `UNSET` to fall through to the flag default.
        rollout: the rollout, if any.
        organization_overrides: organization id → value.
        customer_overrides: customer id → value.
        customer_organizations: customer id → the organization its override was recorded in. A
            customer id is global, but an override recorded in an organization is that
            organization's: it applies when the context names that organization or none, never
            when it names another. An override absent here applies whatever the context names.
    """

    killed: bool = False
    value: FlagValue = UNSET
    rollout: Rollout | None = None
    organization_overrides: Mapping[str, FlagValue] = field(default_factory=lambda: _NO_OVERRIDES)
    customer_overrides: Mapping[str, FlagValue] = field(default_factory=lambda: _NO_OVERRIDES)
    customer_organizations: Mapping[str, str] = field(default_factory=lambda: _NO_OVERRIDES)

    @property
    def has_value(self) -> bool:
        """Whether an environment value is set."""
        return self.value is not UNSET


@dataclass(frozen=True, slots=True)
class FlagDefinition:
    """What a flag is, independent of environment.

    Attributes:
        key: the flag key, e.g. `phase2_enhanced_storage`.
        type: the value type.
        default: the value when nothing more specific applies.
        phase: the release phase (1, 2, 3) or None.
        description: what the flag controls, for humans.
        prerequisites: boolean flags that must evaluate to on, for the same context, for this
            flag to be anything but off.
    """

    key: str
    type: FlagType = FlagType.BOOL
    default: FlagValue = False
    phase: int | None = None
    description: str = ""
    prerequisites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlagState:
    """A flag definition with its configuration in one environment: the unit a snapshot holds."""

    definition: FlagDefinition
    config: EnvironmentConfig = field(default_factory=EnvironmentConfig)

    @property
    def key(self) -> str:
        """The flag key."""
        return self.definition.key
