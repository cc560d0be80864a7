"""evaluate() answers, and never raises, for any generated context."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flagpilot.core import EvaluationContext, FlagType, Reason, Snapshot
from tests.unit.builders import KEY, flag, rollout

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@given(
    customer=st.none() | st.text(max_size=8),
    organization=st.none() | st.text(max_size=8),
    attributes=st.dictionaries(st.text(max_size=8), _json, max_size=3),
    key=st.sampled_from([KEY, "missing", ""]),
    expected=st.none() | st.sampled_from(list(FlagType)),
)
def test_evaluate__never_raises_for_any_context(
    customer: str | None,
    organization: str | None,
    attributes: dict[str, object],
    key: str,
    expected: FlagType | None,
) -> None:
    # Given flags in partial rollouts on the customer, the organization and an attribute
    snap = Snapshot(
        [
            flag(KEY, rollout=rollout(10)),
            flag("by_org", rollout=rollout(10, stickiness="organizationId")),
            flag("by_attr", rollout=rollout(10, stickiness="plan")),
        ],
        environment="production",
        version=1,
    )
    context = EvaluationContext(customer_id=customer, organization_id=organization, attributes=attributes)

    # When anything is asked, Then an answer comes back, an error only as a value
    result = snap.evaluate(key, context, default=False, expected_type=expected)
    assert result.reason is not Reason.ERROR or result.value is False
    assert all(r.key in snap for r in snap.evaluate_all(context).values())
