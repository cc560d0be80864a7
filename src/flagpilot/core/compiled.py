"""A flag compiled for the hot path: every context-independent result is built once.

Evaluating a compiled flag costs a few dict and set look-ups and at most one murmur3 hash, and
allocates nothing: the result objects for each outcome are made when the snapshot is built.
"""

from __future__ import annotations

from typing import Final

import mmh3

from flagpilot.core.bucketing import threshold
from flagpilot.core.context import EvaluationContext
from flagpilot.core.enums import ErrorCode, Reason
from flagpilot.core.explain import off_value
from flagpilot.core.model import FlagState, FlagValue
from flagpilot.core.result import EvaluationResult, variant_of

_NO_ROLLOUT: Final = 0
_ALL_OFF: Final = 1
_PARTIAL: Final = 2
_ALL_ON: Final = 3


class CompiledFlag:
    """The fast, precomputed form of one `FlagState` at one snapshot version."""

    __slots__ = (
        "bound",
        "by_customer",
        "customer_results",
        "default_result",
        "fallthrough",
        "key_missing",
        "killed",
        "mode",
        "org_results",
        "prefix",
        "split_off",
        "split_on",
        "state",
        "stickiness",
        "whitelist",
        "whitelist_result",
    )

    def __init__(self, state: FlagState, version: int) -> None:
        self.state = state
        key = state.key
        definition = state.definition
        config = state.config

        def result(value: FlagValue, reason: Reason, tier: object = None) -> EvaluationResult:
            return EvaluationResult(
                key=key,
                value=value,
                reason=reason,
                variant=variant_of(value),
                version=version,
                tier=tier,  # type: ignore[arg-type]
            )

        self.default_result = result(definition.default, Reason.DEFAULT)
        self.killed = result(off_value(state), Reason.DISABLED) if config.killed else None
        self.customer_results = {
            customer: result(value, Reason.TARGETING_MATCH)
            for customer, value in config.customer_overrides.items()
        }
        self.org_results = {
            org: result(value, Reason.TARGETING_MATCH) for org, value in config.organization_overrides.items()
        }
        self.fallthrough = result(config.value, Reason.STATIC) if config.has_value else self.default_result
        rollout = config.rollout
        tier = None if rollout is None else rollout.tier
        self.whitelist = frozenset() if rollout is None else rollout.whitelist
        self.whitelist_result = result(True, Reason.TARGETING_MATCH, tier)
        self.split_on = result(True, Reason.SPLIT, tier)
        self.split_off = result(False, Reason.SPLIT, tier)
        self.prefix = f"{key if rollout is None else rollout.group_id or key}:"
        self.stickiness = "customerId" if rollout is None else rollout.stickiness
        self.by_customer = self.stickiness == "customerId"
        self.key_missing = EvaluationResult(
            key=key,
            value=definition.default,
            reason=Reason.ERROR,
            error_code=ErrorCode.TARGETING_KEY_MISSING,
            error_message=f"flag {key!r} is in a partial rollout and needs a {self.stickiness}",
            version=version,
        )
        self.bound = 0
        if rollout is None or not rollout.serving:
            self.mode = _NO_ROLLOUT
        else:
            self.bound = threshold(rollout.percentage)
            self.mode = _ALL_OFF if self.bound <= 0 else _ALL_ON if self.bound >= 10_000 else _PARTIAL

    def evaluate(self, ctx: EvaluationContext) -> EvaluationResult:
        """Apply the seven steps of DESIGN.md to `ctx` (see `explain_state` for the prose)."""
        if self.killed is not None:
            return self.killed
        customer = ctx.customer_id
        if customer:
            found = self.customer_results.get(customer)
            if found is not None:
                return found
        organization = ctx.organization_id
        if organization:
            found = self.org_results.get(organization)
            if found is not None:
                return found
        mode = self.mode
        if mode == _NO_ROLLOUT:
            return self.fallthrough
        if customer and customer in self.whitelist:
            return self.whitelist_result
        if mode == _PARTIAL:
            sticky = customer if self.by_customer else ctx.stickiness_value(self.stickiness)
            if not sticky:
                return self.key_missing
            h = mmh3.hash(self.prefix + sticky, 0, False)
            return self.split_on if (h % 100) * 100 + (h // 100) % 100 < self.bound else self.split_off
        return self.split_on if mode == _ALL_ON else self.split_off
