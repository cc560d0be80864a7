"""Bounds on stored JSON values, and leaving an unservable stored value out of a snapshot."""

from __future__ import annotations

from typing import Any

import pytest

from flagpilot.core import (
    FlagType,
    check_value,
    json_value_problem,
    servable_states,
)
from flagpilot.core.validation import MAX_VALUE_DEPTH, MAX_VALUE_SIZE
from tests.unit.builders import flag


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def test_json_value__nested_to_the_bound__is_storable() -> None:
    assert json_value_problem(_nested(MAX_VALUE_DEPTH)) is None


@pytest.mark.parametrize("depth", [MAX_VALUE_DEPTH + 1, 300, 100_000])
def test_json_value__nested_past_the_bound__is_refused_without_exhausting_the_stack(depth: int) -> None:
    assert "deeper" in (json_value_problem(_nested(depth)) or "")


def test_json_value__larger_than_the_bound__is_refused() -> None:
    assert json_value_problem(["x" * (MAX_VALUE_SIZE // 2)]) is None
    assert "larger" in (json_value_problem(["x" * MAX_VALUE_SIZE]) or "")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (["\ud800"], "Unicode"),
        ({"\udfff": 1}, "key"),
        ([float("nan")], "finite"),
        ([float("inf")], "finite"),
        (2**64, "64 bits"),
        (-(2**63) - 1, "64 bits"),
        ({1: "x"}, "key"),
        ({"s": {1, 2}}, "set"),
    ],
)
def test_json_value__unstorable_scalars__are_refused_naming_why(value: Any, words: str) -> None:
    assert words in (json_value_problem(value) or "")


def test_check_value__of_a_deep_json_value__names_the_flag_and_field_without_repr_recursion() -> None:
    problems = check_value(flag("cfg", type=FlagType.JSON, default={}).definition, "value", _nested(5000))
    assert [(p.flag, p.field) for p in problems] == [("cfg", "value")]
    assert "deeper" in problems[0].message


def test_servable_states__leave_out_only_the_unservable_values() -> None:
    good = flag(
        "good",
        type=FlagType.JSON,
        default={"a": 1},
        value=_nested(400),
        customers={"c-1": _nested(400), "c-2": {"b": 2}},
        organizations={"o-1": [float("nan")], "o-2": [1]},
    )
    bad_default = flag("bad", type=FlagType.JSON, default=_nested(400))
    kept, problems = servable_states([good, bad_default])
    assert [state.key for state in kept] == ["good"]
    served = kept[0].config
    assert not served.has_value
    assert dict(served.customer_overrides) == {"c-2": {"b": 2}}
    assert dict(served.organization_overrides) == {"o-2": [1]}
    assert sorted(p.field for p in problems) == [
        "customerOverrides[c-1]",
        "default",
        "organizationOverrides[o-1]",
        "value",
    ]


def test_servable_states__of_servable_states__change_nothing() -> None:
    state = flag("good", value=True)
    kept, problems = servable_states([state])
    assert kept == (state,)
    assert problems == []
