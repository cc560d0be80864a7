"""Bad definitions are refused at write time, each problem naming the flag and the field."""

from __future__ import annotations

import math

import pytest

from flagpilot.core import (
    FlagDefinition,
    FlagState,
    FlagType,
    InvalidConfiguration,
    Problem,
    check_definition,
    check_states,
    ensure_valid,
)
from tests.unit.builders import flag, rollout


def fields(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.flag, p.field) for p in problems]


def test_check_states__of_a_valid_configuration__finds_nothing() -> None:
    # Given a consistent environment: a flag on with its prerequisite on, a rollout, overrides
    states = [
        flag("base", value=True),
        flag("child", prerequisites=("base",), value=True, customers={"c-1": False}),
        flag("wave", rollout=rollout(10, whitelist=["c-1"]), organizations={"acme": True}),
        flag("label", type=FlagType.STRING, default="a", value="b"),
        flag("limits", type=FlagType.JSON, default={"max": [1, 2.5, None]}),
    ]

    # When checked, Then there are no problems and ensure_valid passes
    assert check_states(states) == []
    ensure_valid(states)


def test_check_states__with_an_unknown_prerequisite__names_the_flag_and_field() -> None:
    problems = check_states([flag("child", prerequisites=("nope",))])

    assert fields(problems) == [("child", "prerequisites")]
    assert "nope" in problems[0].message


def test_check_states__with_a_prerequisite_off_and_the_flag_on__is_fine() -> None:
    # Prerequisites are evaluated per context: the child is simply off while base is off.
    states = [flag("base", value=False), flag("child", prerequisites=("base",), value=True)]

    assert check_states(states) == []


def test_check_states__with_a_cycle__names_the_cycle_path() -> None:
    # Given three flags requiring each other in a ring
    states = [
        flag("gamma", prerequisites=("alpha",)),
        flag("alpha", prerequisites=("beta",)),
        flag("beta", prerequisites=("gamma",)),
    ]

    # When checked
    problems = check_states(states)

    # Then one problem names the whole path, from its smallest key back to it
    assert fields(problems) == [("alpha", "prerequisites")]
    assert "alpha → beta → gamma → alpha" in problems[0].message


def chain(depth: int) -> list[FlagState]:
    return [flag("level_0")] + [
        flag(f"level_{i}", prerequisites=(f"level_{i - 1}",)) for i in range(1, depth + 1)
    ]


def test_check_states__with_a_chain_five_deep__is_fine() -> None:
    assert check_states(chain(5)) == []


def test_check_states__with_a_chain_six_deep__names_the_chain() -> None:
    problems = check_states(chain(6))

    assert fields(problems) == [("level_6", "prerequisites")]
    assert "level_0 → level_1" in problems[0].message
    assert "6 deep" in problems[0].message


def test_check_states__with_a_string_prerequisite__refuses_it() -> None:
    states = [flag("label", type=FlagType.STRING, default="a"), flag("child", prerequisites=("label",))]

    problems = check_states(states)

    assert fields(problems) == [("child", "prerequisites")]
    assert "'label' is a string flag" in problems[0].message


def test_check_states__without_prerequisite_checking__checks_structure_only() -> None:
    # A served snapshot may break a prerequisite (a kill switch is never refused).
    states = [flag("base", killed=True), flag("child", prerequisites=("base", "gone"), value=True)]

    assert check_states(states, prerequisites=False) == []


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (flag("f", type=FlagType.STRING, default=True), "default"),
        (flag("f", type=FlagType.BOOL, default=False, value="yes"), "value"),
        (flag("f", type=FlagType.NUMBER, default=1, value=True), "value"),
        (flag("f", type=FlagType.NUMBER, default=math.inf), "default"),
        (flag("f", type=FlagType.JSON, default={"x": math.nan}), "default"),
        (flag("f", type=FlagType.JSON, default=None), "default"),
        (flag("f", type=FlagType.JSON, default={1: "non-string key"}), "default"),
        (flag("f", customers={"c-1": "on"}), "customerOverrides[c-1]"),
        (flag("f", organizations={"acme": 1}), "organizationOverrides[acme]"),
    ],
)
def test_check_states__with_a_value_of_the_wrong_type__names_the_flag_and_field(
    state: FlagState, field: str
) -> None:
    problems = check_states([state])

    assert fields(problems) == [("f", field)]
    assert "is not a" in problems[0].message


@pytest.mark.parametrize("percentage", [-0.01, 100.01, 1000, math.nan, -math.inf])
def test_check_states__with_a_percentage_outside_0_to_100__names_the_flag_and_field(
    percentage: float,
) -> None:
    problems = check_states([flag("wave", rollout=rollout(percentage))])

    assert fields(problems) == [("wave", "rollout.percentage")]
    assert "outside 0–100" in problems[0].message


@pytest.mark.parametrize("percentage", [0, 0.01, 33.33, 100])
def test_check_states__with_a_percentage_within_0_to_100__is_fine(percentage: float) -> None:
    assert check_states([flag("wave", rollout=rollout(percentage))]) == []


def test_check_states__with_a_rollout_of_a_non_boolean_flag__refuses_it() -> None:
    problems = check_states([flag("label", type=FlagType.STRING, default="a", rollout=rollout(10))])

    assert fields(problems) == [("label", "rollout")]


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        (FlagDefinition(key="Bad-Key"), "key"),
        (FlagDefinition(key="1st"), "key"),
        (FlagDefinition(key="x" * 129), "key"),
        (FlagDefinition(key="f", phase=4), "phase"),
        (FlagDefinition(key="f", prerequisites=("f",)), "prerequisites"),
    ],
)
def test_check_definition__of_a_bad_definition__names_the_field(
    definition: FlagDefinition, field: str
) -> None:
    assert [p.field for p in check_definition(definition)] == [field]


def test_ensure_valid__raises_with_every_problem_in_its_message() -> None:
    # Given two flags with one problem each
    states = [flag("a_flag", value="x"), flag("b_flag", rollout=rollout(101))]

    # When validated
    with pytest.raises(InvalidConfiguration) as caught:
        ensure_valid(states)

    # Then both problems are carried, and the message reads flag.field: what
    assert fields(list(caught.value.problems)) == [("a_flag", "value"), ("b_flag", "rollout.percentage")]
    assert str(caught.value).startswith("a_flag.value: ")
    assert "; b_flag.rollout.percentage: 101 is outside 0–100" in str(caught.value)
