"""Request bodies of the rollout routes (their versions are read by `flagpilot.api.admin.versions`).

The bodies are the checklist's own (`{"featureName", "whitelistedCustomers", "rollbackThreshold":
{"errorRate", "timeWindow"}}`, `{"featureName", "reason"}`), so the checklist's calls work as
written. Unknown members are refused, naming them: a misspelt `whitelistedCustomer` silently
ignored would create a rollout with nobody on its whitelist.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from flagpilot.core import Problem, Tier
from flagpilot.services.audit_entry import MAX_REASON_LENGTH
from flagpilot.services.errors import InvalidInput
from flagpilot.services.rollouts import RolloutConfig

NAME = Field(min_length=1, max_length=128, description="The flag key, e.g. phase2_enhanced_storage.")
REASON_MAX = MAX_REASON_LENGTH


class StrictCamel(BaseModel):
    """camelCase on the wire; unknown members are an error naming them."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Threshold(StrictCamel):
    """When the rollout rolls itself back."""

    error_rate: float | None = Field(default=None, description="Error rate from 0 to 1 (default 0.05).")
    time_window: int | None = Field(default=None, description="Window in milliseconds (default 3,600,000).")


class NewRollout(StrictCamel):
    """A rollout to create: planned, at tier 0 (0%)."""

    feature_name: str = NAME
    environment: str | None = Field(default=None, min_length=1, max_length=64)
    whitelisted_customers: list[str] = Field(default_factory=list)
    rollback_threshold: Threshold | None = None
    min_dwell_hours: float | None = Field(default=None, description="Hours a tier is held (default 48).")
    min_dwell_seconds: int | None = Field(default=None, description="The same in seconds.")
    min_events: int | None = Field(default=None, description="Outcome events a tier needs (default 100).")
    reason: str = Field(default="", max_length=REASON_MAX)

    def config(self) -> RolloutConfig:
        """The validated settings; `InvalidInput` names each bad field as `body.<member>`."""
        wire: dict[str, Any] = self.model_dump(by_alias=True, exclude_none=True)
        threshold = wire.get("rollbackThreshold")
        if threshold is not None and not threshold:
            wire.pop("rollbackThreshold")
        return RolloutConfig.from_wire(wire, "body")


class Transition(StrictCamel):
    """Which rollout to move, optionally only if it is still at `version`."""

    feature_name: str = NAME
    environment: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(default="", max_length=REASON_MAX)
    version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Refuse with 409 unless the rollout is still at this version.",
    )


class Advance(Transition):
    """An advance to the next tier; `force` skips closed gates and needs a reason.

    An advance names what it advances from — `fromTier` (the `currentTier` the caller saw), or
    the rollout's `version` (in the body or `If-Match`) — so that a retried or duplicated
    request makes one transition, and the copies get 409, instead of each moving a tier on.
    """

    force: bool = False
    from_tier: Tier | None = Field(default=None, description="The tier the rollout advances from.")

    def origin(self, expected: int | None) -> Tier | None:
        """`fromTier`, after checking that the advance names an origin at all.

        Raises:
            InvalidInput: neither `fromTier` nor a version names what the advance starts from.
        """
        if self.from_tier is None and expected is None:
            raise InvalidInput(
                "an advance names the tier it advances from (fromTier) or the rollout's version",
                [Problem("body", "fromTier", "is required unless version or If-Match is given")],
            )
        return self.from_tier


class Rollback(Transition):
    """A rollback to tier 0; the reason is required (it is the incident's first line)."""

    reason: str = Field(min_length=1, max_length=REASON_MAX)
