"""Names shared by every layer: flag types, OpenFeature reasons and error codes, tiers, statuses.

The reason and error-code strings are OpenFeature's own (see the OpenFeature specification,
"Evaluation details"), so an OpenFeature provider can pass them through untouched.
"""

from __future__ import annotations

from enum import StrEnum


class FlagType(StrEnum):
    """The type of a flag's value; `BOOL` is the default for a new flag."""

    BOOL = "bool"
    STRING = "string"
    NUMBER = "number"
    JSON = "json"


class Reason(StrEnum):
    """Why an evaluation produced its value (OpenFeature reason names)."""

    STATIC = "STATIC"
    DEFAULT = "DEFAULT"
    TARGETING_MATCH = "TARGETING_MATCH"
    SPLIT = "SPLIT"
    DISABLED = "DISABLED"
    ERROR = "ERROR"


class ErrorCode(StrEnum):
    """Why an evaluation failed (OpenFeature error codes)."""

    FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
    PARSE_ERROR = "PARSE_ERROR"
    INVALID_CONTEXT = "INVALID_CONTEXT"
    GENERAL = "GENERAL"


class Tier(StrEnum):
    """The five rollout tiers, in order; each has a fixed percentage (`TIER_PERCENTAGES`)."""

    TIER_0_DISABLED = "tier_0_disabled"
    TIER_1_INTERNAL = "tier_1_internal"
    TIER_2_EARLY_ADOPTERS = "tier_2_early_adopters"
    TIER_3_GENERAL = "tier_3_general"
    TIER_4_FULL = "tier_4_full"


class RolloutStatus(StrEnum):
    """A rollout's lifecycle state: planned → active ⇄ paused → completed, or rolled_back."""

    PLANNED = "planned"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"
