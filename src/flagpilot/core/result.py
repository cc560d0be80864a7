"""The result of one evaluation, and its camelCase JSON form shared by the CLI and HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flagpilot.core.enums import ErrorCode, Reason, Tier
from flagpilot.core.model import FlagValue


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """What a flag evaluated to and why.

    Attributes:
        key: the flag key asked for.
        value: the value (the caller's default when `reason` is `ERROR`).
        reason: the OpenFeature reason.
        variant: `on`/`off` for boolean values, else None; None on errors, whose value is a
            fallback rather than a variant of the flag.
        error_code: set only when `reason` is `ERROR`.
        error_message: a human explanation of the error.
        version: the snapshot version the result was computed from.
        tier: the rollout tier, when a rollout decided the value.
    """

    key: str
    value: FlagValue
    reason: Reason
    variant: str | None = None
    error_code: ErrorCode | None = None
    error_message: str | None = None
    version: int = 0
    tier: Tier | None = None

    @property
    def is_error(self) -> bool:
        """Whether the evaluation failed and `value` is the caller's default."""
        return self.error_code is not None

    def to_dict(self) -> dict[str, Any]:
        """The camelCase form used by `flagpilot eval --json` and the HTTP API."""
        return {
            "value": self.value,
            "reason": self.reason.value,
            "variant": self.variant,
            "errorCode": None if self.error_code is None else self.error_code.value,
            "errorMessage": self.error_message,
            "version": self.version,
            "tier": None if self.tier is None else self.tier.value,
        }


def variant_of(value: FlagValue) -> str | None:
    """The variant name of a value: `on`/`off` for booleans, none otherwise."""
    if value is True:
        return "on"
    if value is False:
        return "off"
    return None
