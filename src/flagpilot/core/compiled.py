"""A flag compiled for the hot path: every context-independent result is built once.

Evaluating a compiled flag costs a few dict look-ups and at most one murmur3 hash (and the same
again for each context-dependent prerequisite above it), and builds no result: the result
objects for each outcome are made when the snapshot is built, and `evaluate` is a closure over
them, specialised to the flag's shape, that reads locals only.
"""

from __future__ import annotations

from collections.abc import Callable

import mmh3

from flagpilot.core.bucketing import BUCKETS, hashable, threshold
from flagpilot.core.context import EvaluationContext
from flagpilot.core.enums import ErrorCode, Reason, RolloutStatus, Tier
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
        parents: the flag's compiled prerequisites, in the flag's order; each must answer `on`
            for the same context, or the flag is off (step 1b). A parent whose answer is the
            same for everyone is settled here, once, so only context-dependent parents cost
            anything per evaluation.
        blocked: why the flag's prerequisites can never be met (one is missing, they form a
            cycle, the chain is too deep), or None; a blocked flag is off for everyone.

    Attributes:
        state: the flag state it was compiled from.
        enabled: as given.
        parents: as given.
        blocked: as given.
        constant: the result when it is the same for every context (kill switch, a value with
            no targeting, the master switch off), else None.
        default_result: the flag's default with reason `DEFAULT`.
        key_missing: the `TARGETING_KEY_MISSING` error a partial rollout gives an anonymous context.
        evaluate: DESIGN.md's steps applied to a context (`explain_state` is the prose form of
            the same rule).
    """

    __slots__ = (
        "blocked",
        "constant",
        "default_result",
        "enabled",
        "evaluate",
        "key_missing",
        "parents",
        "state",
    )

    def __init__(
        self,
        state: FlagState,
        version: int,
        *,
        enabled: bool = True,
        parents: tuple[CompiledFlag, ...] = (),
        blocked: str | None = None,
    ) -> None:
        key = state.key

        def result(value: FlagValue, reason: Reason, tier: Tier | None) -> EvaluationResult:
            return EvaluationResult(
                key=key, value=value, reason=reason, variant=variant_of(value), version=version, tier=tier
            )

        rollout = state.config.rollout
        stickiness = "customerId" if rollout is None else rollout.stickiness
        default_result = result(state.definition.default, Reason.DEFAULT, None)
        self.state = state
        self.enabled = enabled
        self.parents = parents
        self.blocked = blocked
        self.default_result = default_result
        self.key_missing = EvaluationResult(
            key=key,
            value=state.definition.default,
            reason=Reason.ERROR,
            error_code=ErrorCode.TARGETING_KEY_MISSING,
            error_message=f"flag {key!r} is in a partial rollout and needs a {stickiness}",
            version=version,
        )
        off = result(off_value(state), Reason.DISABLED, None)
        dynamic = tuple(parent.evaluate for parent in parents if parent.constant is None)
        if not enabled:
            self.constant: EvaluationResult | None = default_result
        elif (
            stopped(state)
            or blocked is not None
            or any(p.constant is not None and p.constant.variant != "on" for p in parents)
        ):
            self.constant = off
        else:
            inner, self.constant = _evaluator(state, result, default_result, self.key_missing)
            if dynamic:
                self.constant = None
                self.evaluate: Evaluator = _gated(dynamic, off, inner)
            else:
                self.evaluate = inner
        if self.constant is not None:
            constant = self.constant
            self.evaluate = lambda ctx: constant


def stopped(state: FlagState) -> bool:
    """Whether the flag is off for everyone: its kill switch is on or its rollout was rolled back."""
    rollout = state.config.rollout
    return state.config.killed or (rollout is not None and rollout.status is RolloutStatus.ROLLED_BACK)


def _gated(parents: tuple[Evaluator, ...], off: EvaluationResult, inner: Evaluator) -> Evaluator:
    """`inner` behind the prerequisites: a parent answering anything but `on` (off, a non-boolean
    value, an error) serves `off`. A chain costs one call per level, the depth being bounded."""
    if len(parents) == 1:
        (parent,) = parents

        def evaluate_one(ctx: EvaluationContext) -> EvaluationResult:
            if parent(ctx).variant != "on":
                return off
            return inner(ctx)

        return evaluate_one

    def evaluate(ctx: EvaluationContext) -> EvaluationResult:
        for parent in parents:
            if parent(ctx).variant != "on":
                return off
        return inner(ctx)

    return evaluate


def _evaluator(
    state: FlagState,
    result: Callable[[FlagValue, Reason, Tier | None], EvaluationResult],
    default_result: EvaluationResult,
    key_missing: EvaluationResult,
) -> tuple[Evaluator, EvaluationResult | None]:
    """Build the evaluation closure for `state`, specialised to its rollout's shape, and the
    result it always gives if it gives the same to everyone."""
    config = state.config
    # An empty id is anonymous and matches nothing: leaving "" out of every table spares the hot
    # path a truth test per step (`None in table` is simply False).
    matched = _shared(lambda value: result(value, Reason.TARGETING_MATCH, None))
    recorded_in = config.customer_organizations
    customers = {c: matched(v) for c, v in config.customer_overrides.items() if c and c not in recorded_in}
    scoped = {
        c: (recorded_in[c], matched(v))
        for c, v in config.customer_overrides.items()
        if c and c in recorded_in
    }
    organizations = {o: matched(v) for o, v in config.organization_overrides.items() if o}
    inner, constant = _unscoped_evaluator(
        state, result, default_result, key_missing, customers, organizations
    )
    if not scoped:
        return inner, constant
    return _scoped(scoped, inner), None


def _scoped(scoped: dict[str, tuple[str, EvaluationResult]], inner: Evaluator) -> Evaluator:
    """`inner` behind the customer overrides recorded in an organization (step 2): one applies
    when the context names its organization or none; otherwise the customer is evaluated as if
    it had no override, so a tenant naming another's customer learns nothing of that override."""

    def evaluate(ctx: EvaluationContext) -> EvaluationResult:
        customer = ctx.customer_id
        if customer in scoped:
            recorded_in, found = scoped[customer]
            organization = ctx.organization_id
            if not organization or organization == recorded_in:
                return found
        return inner(ctx)

    return evaluate


def _unscoped_evaluator(
    state: FlagState,
    result: Callable[[FlagValue, Reason, Tier | None], EvaluationResult],
    default_result: EvaluationResult,
    key_missing: EvaluationResult,
    customers: dict[str, EvaluationResult],
    organizations: dict[str, EvaluationResult],
) -> tuple[Evaluator, EvaluationResult | None]:
    """The evaluation closure for every step but the organization-recorded customer overrides."""
    config = state.config
    rollout = config.rollout
    if rollout is None or not rollout.serving:
        fallthrough = result(config.value, Reason.STATIC, None) if config.has_value else default_result
        constant = None if customers or organizations else fallthrough
        return _settled(customers, None, organizations, fallthrough), constant

    tier = rollout.tier
    whitelist_result = result(True, Reason.TARGETING_MATCH, tier)
    # One look-up finds a customer override (step 2) or a whitelist entry (step 4); a whitelist
    # hit still checks the organization (step 3) before answering.
    targeted = {c: whitelist_result for c in rollout.whitelist if c} | customers
    bound = threshold(rollout.percentage)
    if bound <= 0 or bound >= BUCKETS:
        everyone = result(bound > 0, Reason.SPLIT, tier)
        constant = None if targeted or organizations else everyone
        return _settled(targeted, whitelist_result, organizations, everyone), constant

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

    return evaluate, None


def _shared(make: Callable[[FlagValue], EvaluationResult]) -> Callable[[FlagValue], EvaluationResult]:
    """`make`, answering equal scalar values with one shared result.

    Results are immutable, and 100,000 overrides of a flag hold a handful of distinct values
    (mostly `true`): sharing makes a rebuild several times faster and its snapshot smaller.
    """
    made: dict[tuple[type, FlagValue], EvaluationResult] = {}

    def shared(value: FlagValue) -> EvaluationResult:
        if not isinstance(value, str | bool | int | float):
            return make(value)  # JSON objects and arrays: not hashable, and rare
        key = (type(value), value)  # True == 1 == 1.0, but they are different answers
        found = made.get(key)
        if found is None:
            found = made[key] = make(value)
        return found

    return shared


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
