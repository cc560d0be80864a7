"""A flag compiled for the hot path: every context-independent result is built once.

Evaluating a compiled flag costs a few dict look-ups and at most one murmur3 hash, and builds no
result: the result objects for each outcome are made when the snapshot is built, and `evaluate`
is a closure over them, specialised to the flag's shape, that reads locals only.
"""

from __future__ import annotations

from collections.abc import Callable

import mmh3

from flagpilot.core.bucketing import BUCKETS, hashable, threshold
from flagpilot.core.context import EvaluationContext
from flagpilot.core.enums import ErrorCode, Reason, Tier
from flagpilot.core.explain import off_value
from flagpilot.core.model import FlagState, FlagValue
from flagpilot.core.result import EvaluationResult, variant_of

Evaluator = Callable[[EvaluationContext], EvaluationResult]
"""A compiled flag's evaluation: context in, result out."""


class CompiledFlag:
    """The fast, precomputed form of one `FlagState` at one snapshot version.

    Args:
        state: the flag and its configuration in one environment.
        version: the snapshot version every result carries.
        enabled: the master switch; when False, `evaluate` always answers `default_result`.

    Attributes:
        state: the flag state it was compiled from.
        default_result: the flag's default with reason `DEFAULT`.
        key_missing: the `TARGETING_KEY_MISSING` error a partial rollout gives an anonymous context.
        evaluate: DESIGN.md's seven steps applied to a context (`explain_state` is the prose form
            of the same rule).
    """

    __slots__ = ("default_result", "evaluate", "key_missing", "state")

    def __init__(self, state: FlagState, version: int, *, enabled: bool = True) -> None:
        key = state.key

        def result(value: FlagValue, reason: Reason, tier: Tier | None) -> EvaluationResult:
            return EvaluationResult(
                key=key, value=value, reason=reason, variant=variant_of(value), version=version, tier=tier
            )

        rollout = state.config.rollout
        stickiness = "customerId" if rollout is None else rollout.stickiness
        default_result = result(state.definition.default, Reason.DEFAULT, None)
        self.state = state
        self.default_result = default_result
        self.key_missing = EvaluationResult(
            key=key,
            value=state.definition.default,
            reason=Reason.ERROR,
            error_code=ErrorCode.TARGETING_KEY_MISSING,
            error_message=f"flag {key!r} is in a partial rollout and needs a {stickiness}",
            version=version,
        )
        self.evaluate: Evaluator = (
            _evaluator(state, result, default_result, self.key_missing)
            if enabled
            else lambda ctx: default_result
        )


def _evaluator(
    state: FlagState,
    result: Callable[[FlagValue, Reason, Tier | None], EvaluationResult],
    default_result: EvaluationResult,
    key_missing: EvaluationResult,
) -> Evaluator:
    """Build the evaluation closure for `state`, specialised to its rollout's shape."""
    config = state.config
    if config.killed:
        killed = result(off_value(state), Reason.DISABLED, None)
        return lambda ctx: killed

    # An empty id is anonymous and matches nothing: leaving "" out of every table spares the hot
    # path a truth test per step (`None in table` is simply False).
    customers = {
        c: result(v, Reason.TARGETING_MATCH, None) for c, v in config.customer_overrides.items() if c
    }
    organizations = {
        o: result(v, Reason.TARGETING_MATCH, None) for o, v in config.organization_overrides.items() if o
    }
    rollout = config.rollout
    if rollout is None or not rollout.serving:
        fallthrough = result(config.value, Reason.STATIC, None) if config.has_value else default_result
        return _settled(customers, None, organizations, fallthrough)

    tier = rollout.tier
    whitelist_result = result(True, Reason.TARGETING_MATCH, tier)
    # One look-up finds a customer override (step 2) or a whitelist entry (step 4); a whitelist
    # hit still checks the organization (step 3) before answering.
    targeted = {c: whitelist_result for c in rollout.whitelist if c} | customers
    bound = threshold(rollout.percentage)
    if bound <= 0 or bound >= BUCKETS:
        return _settled(targeted, whitelist_result, organizations, result(bound > 0, Reason.SPLIT, tier))

    split_on = result(True, Reason.SPLIT, tier)
    split_off = result(False, Reason.SPLIT, tier)
    prefix = f"{rollout.group_id or state.key}:"
    stickiness = rollout.stickiness
    by_customer = stickiness == "customerId"
    # bucket = coarse * 100 + fine, with coarse = h % 100 and fine = h // 100 % 100 (bucketing.py);
    # against bound = whole * 100 + part the coarse digit alone decides for 99 customers in 100.
    whole, part = divmod(bound, 100)
    hash32 = mmh3.hash

    def evaluate(ctx: EvaluationContext) -> EvaluationResult:
        customer = ctx.customer_id
        organization = ctx.organization_id
        if customer in targeted:
            found = targeted[customer]
            if found is whitelist_result and organization in organizations:
                return organizations[organization]
            return found
        if organization in organizations:
            return organizations[organization]
        sticky = customer if by_customer else ctx.stickiness_value(stickiness)
        if not sticky:
            return key_missing
        text = prefix + sticky
        h = hash32(text if text.isascii() else hashable(text), 0, False)
        coarse = h % 100
        if coarse > whole:
            return split_off
        if coarse < whole or h // 100 % 100 < part:
            return split_on
        return split_off

    return evaluate


def _settled(
    targeted: dict[str, EvaluationResult],
    whitelist_result: EvaluationResult | None,
    organizations: dict[str, EvaluationResult],
    otherwise: EvaluationResult,
) -> Evaluator:
    """The closure for a flag whose answer, past the targeting steps, is the same for everyone."""

    def evaluate(ctx: EvaluationContext) -> EvaluationResult:
        customer = ctx.customer_id
        organization = ctx.organization_id
        if customer in targeted:
            found = targeted[customer]
            if found is whitelist_result and organization in organizations:
                return organizations[organization]
            return found
        if organization in organizations:
            return organizations[organization]
        return otherwise

    return evaluate
