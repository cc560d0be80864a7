"""explain() against evaluate() over generated flags and contexts, and a customer found by bucket search."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flagpilot.core import (
    UNSET,
    EnvironmentConfig,
    EvaluationContext,
    FlagDefinition,
    FlagState,
    FlagType,
    Reason,
    Rollout,
    RolloutStatus,
    Snapshot,
    Tier,
    frozen_mapping,
)
from tests.unit.builders import KEY, ctx, flag, rollout, snapshot
from tests.unit.reference import customer_with_bucket

# Small pools, so that overrides, whitelists and contexts actually meet.
CUSTOMERS = ["c-1", "c-2", "c-3", "", "customer-17"]


ORGANIZATIONS = ["acme", "globex", ""]


PERCENTAGES = [0, 0.01, 0.5, 1, 10, 33.33, 50, 99.99, 100]


_percentage = st.sampled_from(PERCENTAGES) | st.integers(0, 10_000).map(lambda n: n / 100)


_rollouts = st.builds(
    Rollout,
    tier=st.sampled_from(list(Tier)),
    percentage=_percentage,
    status=st.sampled_from(list(RolloutStatus)),
    whitelist=st.frozensets(st.sampled_from(CUSTOMERS), max_size=3),
    group_id=st.none() | st.sampled_from(["wave", ""]),
    stickiness=st.sampled_from(["customerId", "organizationId", "plan"]),
)


_values: dict[FlagType, st.SearchStrategy[Any]] = {
    FlagType.BOOL: st.booleans(),
    FlagType.STRING: st.text(max_size=4),
    FlagType.NUMBER: st.integers(-5, 5) | st.floats(-1e6, 1e6),
    FlagType.JSON: st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
}


@st.composite
def flag_states(draw: st.DrawFn) -> FlagState:
    flag_type = draw(st.sampled_from(list(FlagType)))
    values = _values[flag_type]
    overrides = st.dictionaries
    customers = draw(overrides(st.sampled_from(CUSTOMERS), values))
    recorded_in = draw(
        overrides(st.sampled_from(sorted(customers) or [""]), st.sampled_from(ORGANIZATIONS[:2]))
    )
    return FlagState(
        definition=FlagDefinition(key=KEY, type=flag_type, default=draw(values)),
        config=EnvironmentConfig(
            killed=draw(st.booleans()),
            value=draw(st.just(UNSET) | values),
            rollout=draw(st.none() | _rollouts) if flag_type is FlagType.BOOL else None,
            organization_overrides=frozen_mapping(draw(overrides(st.sampled_from(ORGANIZATIONS), values))),
            customer_overrides=frozen_mapping(customers),
            customer_organizations=frozen_mapping(recorded_in),
        ),
    )


_contexts = st.builds(
    EvaluationContext,
    customer_id=st.none() | st.sampled_from(CUSTOMERS) | st.text(max_size=6),
    organization_id=st.none() | st.sampled_from(ORGANIZATIONS),
    attributes=st.dictionaries(st.just("plan"), st.sampled_from(["pro", "free", "", 3])),
)


@settings(max_examples=400)
@given(state=flag_states(), context=_contexts, enabled=st.booleans(), version=st.integers(0, 10))
def test_explain__always_agrees_with_evaluate(
    state: FlagState, context: EvaluationContext, enabled: bool, version: int
) -> None:
    # Given any flag state in a snapshot, with the master switch on or off
    snap = Snapshot([state], environment="production", version=version, flags_enabled=enabled)

    # When it is both explained and evaluated for any context
    explanation = snap.explain(KEY, context)

    # Then both give the same result, and the last step considered is the one that applied
    assert explanation.result == snap.evaluate(KEY, context)
    assert snap.evaluate_all(context)[KEY] == explanation.result
    assert [step.applied for step in explanation.steps] == [False] * (len(explanation.steps) - 1) + [True]


def test_explain__of_a_bucketed_customer__walks_all_five_steps_and_names_the_bucket() -> None:
    # Given a 10% rollout and a customer in bucket 999
    snap = snapshot(flag(rollout=rollout(10)))
    customer = customer_with_bucket(KEY, range(999, 1000))

    # When the evaluation is explained
    explanation = snap.explain(KEY, ctx(customer))

    # Then steps 1-5 were considered, the fifth decided, and it names the bucket and the bound
    assert [(s.order, s.applied) for s in explanation.steps] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, True),
    ]
    assert "999" in explanation.steps[-1].detail
    assert "1000" in explanation.steps[-1].detail
    assert (explanation.result.value, explanation.result.reason) == (True, Reason.SPLIT)


@settings(max_examples=300)
@given(parent=flag_states(), child=flag_states(), context=_contexts)
def test_explain__of_a_flag_with_a_prerequisite__always_agrees_with_evaluate(
    parent: FlagState, child: FlagState, context: EvaluationContext
) -> None:
    # Given any flag that requires any other flag
    parent = replace(parent, definition=replace(parent.definition, key="parent"))
    child = replace(child, definition=replace(child.definition, prerequisites=("parent",)))
    snap = Snapshot([parent, child], environment="production", version=1)

    # When the child is explained and evaluated
    explanation = snap.explain(KEY, context)

    # Then both agree, and an unmet prerequisite is a step that applied
    assert explanation.result == snap.evaluate(KEY, context)
    if snap.evaluate("parent", context).variant != "on" and not child.config.killed:
        assert explanation.steps[-1].source in ("prerequisites", "rollout rolled back")
