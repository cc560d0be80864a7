"""The readable form of the evaluation order: every step, whether it applied, and why.

This is the reference statement of DESIGN.md's seven steps. `CompiledFlag` is the fast form of
the same rule; the test suite checks on random inputs that both always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flagpilot.core.bucketing import bucket, threshold
from flagpilot.core.context import EvaluationContext
from flagpilot.core.enums import ErrorCode, FlagType, Reason, RolloutStatus
from flagpilot.core.model import FlagState, FlagValue, override_applies
from flagpilot.core.result import EvaluationResult, variant_of


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the evaluation order as it was considered for one context."""

    order: int
    source: str
    applied: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """The result of an evaluation together with the steps that led to it."""

    result: EvaluationResult
    steps: tuple[Step, ...]


def off_value(state: FlagState) -> FlagValue:
    """What a killed flag (or a customer outside a rollout) gets: False, or the default."""
    definition = state.definition
    return False if definition.type is FlagType.BOOL else definition.default


def _no_flags(key: str) -> EvaluationResult | None:
    return None


def explain_state(
    state: FlagState,
    ctx: EvaluationContext,
    version: int = 0,
    *,
    prerequisite: Callable[[str], EvaluationResult | None] = _no_flags,
    blocked: str | None = None,
) -> Explanation:
    """Walk the evaluation steps for `state` and `ctx`, recording each decision.

    Args:
        state: the flag in one environment.
        ctx: who is asking.
        version: the snapshot version the result carries.
        prerequisite: evaluates another flag of the environment for `ctx` (None: no such flag).
        blocked: why the flag's prerequisites can never be met (a cycle, a chain too deep), if so.
    """
    steps: list[Step] = []
    config = state.config
    key = state.key

    def done(value: FlagValue, reason: Reason, **extra: object) -> Explanation:
        result = EvaluationResult(
            key=key,
            value=value,
            reason=reason,
            variant=variant_of(value),
            version=version,
            **extra,  # type: ignore[arg-type]
        )
        return Explanation(result=result, steps=tuple(steps))

    def note(order: int, source: str, applied: bool, detail: str) -> None:
        steps.append(Step(order=order, source=source, applied=applied, detail=detail))

    if config.killed:
        note(1, "kill switch", True, "the kill switch is on in this environment")
        return done(off_value(state), Reason.DISABLED)
    rollout = config.rollout
    if rollout is not None and rollout.status is RolloutStatus.ROLLED_BACK:
        why = rollout.rollback_reason or "no reason recorded"
        note(
            1, "rollout rolled back", True, f"the rollout was rolled back ({why}): off until it is restarted"
        )
        return done(off_value(state), Reason.DISABLED)
    note(1, "kill switch", False, "the kill switch is off")

    unmet = blocked or _unmet_prerequisite(state.definition.prerequisites, prerequisite)
    if unmet is not None:
        note(1, "prerequisites", True, unmet)
        return done(off_value(state), Reason.DISABLED)
    if state.definition.prerequisites:
        names = ", ".join(repr(p) for p in state.definition.prerequisites)
        note(1, "prerequisites", False, f"every prerequisite is on: {names}")

    customer = ctx.customer_id or None
    organization = ctx.organization_id or None
    if (
        customer is not None
        and customer in config.customer_overrides
        and override_applies(config.customer_organizations.get(customer), organization)
    ):
        note(2, "customer override", True, f"customer {customer!r} has an override")
        return done(config.customer_overrides[customer], Reason.TARGETING_MATCH)
    # An override recorded in another organization is described as no override at all: the
    # trace must not tell one tenant that another has set something for this customer id.
    note(
        2,
        "customer override",
        False,
        "no customer id" if customer is None else f"no override for customer {customer!r}",
    )

    if organization is not None and organization in config.organization_overrides:
        note(3, "organization override", True, f"organization {organization!r} has an override")
        return done(config.organization_overrides[organization], Reason.TARGETING_MATCH)
    note(
        3,
        "organization override",
        False,
        "no organization id" if organization is None else f"no override for organization {organization!r}",
    )

    if rollout is None or not rollout.serving:
        why = "no rollout" if rollout is None else f"the rollout is {rollout.status.value}"
        note(4, "rollout whitelist", False, why)
        note(5, "rollout percentage", False, why)
    else:
        if customer is not None and customer in rollout.whitelist:
            note(4, "rollout whitelist", True, f"customer {customer!r} is on the whitelist")
            return done(True, Reason.TARGETING_MATCH, tier=rollout.tier)
        note(4, "rollout whitelist", False, "the customer is not on the whitelist")
        bound = threshold(rollout.percentage)
        if bound <= 0 or bound >= 10_000:
            on = bound >= 10_000
            note(
                5,
                "rollout percentage",
                True,
                f"the rollout is at {rollout.percentage:g}%: everyone is {'in' if on else 'out'}",
            )
            return done(on, Reason.SPLIT, tier=rollout.tier)
        stickiness = ctx.stickiness_value(rollout.stickiness)
        if stickiness is None:
            note(5, "rollout percentage", True, f"no {rollout.stickiness} to bucket on")
            result = EvaluationResult(
                key=key,
                value=state.definition.default,
                reason=Reason.ERROR,
                error_code=ErrorCode.TARGETING_KEY_MISSING,
                error_message=f"flag {key!r} is in a partial rollout and needs a {rollout.stickiness}",
                version=version,
            )
            return Explanation(result=result, steps=tuple(steps))
        position = bucket(rollout.group_id or key, stickiness)
        inside = position < bound
        note(
            5,
            "rollout percentage",
            True,
            f"bucket {position} of 10000 is {'below' if inside else 'not below'} {bound} "
            f"({rollout.percentage:g}%)",
        )
        return done(inside, Reason.SPLIT, tier=rollout.tier)

    if config.has_value:
        note(6, "environment value", True, "the environment sets a value")
        return done(config.value, Reason.STATIC)
    note(6, "environment value", False, "the environment sets no value")

    note(7, "default value", True, "the flag's default value")
    return done(state.definition.default, Reason.DEFAULT)


def _unmet_prerequisite(
    prerequisites: tuple[str, ...], evaluate: Callable[[str], EvaluationResult | None]
) -> str | None:
    """The first prerequisite that is not on for the context, described; None if all are."""
    for required in prerequisites:
        result = evaluate(required)
        if result is None:
            return f"prerequisite {required!r} does not exist"
        if result.variant != "on":
            shown = "an error" if result.error_code else ("off" if result.value is False else "not on")
            return f"prerequisite {required!r} is {shown} ({result.reason.value})"
    return None
