"""A snapshot built with `previous` takes over the compiled flags whose inputs are the very same
objects, and compiles again every flag whose state, prerequisites or master switch differ."""

from __future__ import annotations

from dataclasses import replace

from flagpilot.core import EvaluationContext, FlagState, Reason, Snapshot
from tests.unit.builders import flag

ANYONE = EvaluationContext(customer_id="c-1")


def _snapshot(states: list[FlagState], version: int, previous: Snapshot | None = None) -> Snapshot:
    return Snapshot(states, environment="production", version=version, previous=previous)


def test_previous__same_state_objects__are_taken_over_with_their_version() -> None:
    states = [flag("a", value=True), flag("b")]
    first = _snapshot(states, 1)

    second = _snapshot(states, 2, previous=first)

    assert {key: result.version for key, result in second.evaluate_all(ANYONE).items()} == {"a": 1, "b": 1}
    assert second.version == 2


def test_previous__an_equal_but_new_state__is_compiled_again() -> None:
    first = _snapshot([flag("a", value=True)], 1)

    second = _snapshot([flag("a", value=True)], 2, previous=first)

    assert second.evaluate("a", ANYONE).version == 2


def test_previous__a_changed_prerequisite__compiles_the_flags_below_it_again() -> None:
    parent, child = flag("parent", value=True), flag("child", value=True, prerequisites=("parent",))
    first = _snapshot([parent, child], 1)
    assert first.evaluate("child", ANYONE).value is True

    killed = replace(parent, config=replace(parent.config, killed=True))
    second = _snapshot([killed, child], 2, previous=first)

    result = second.evaluate("child", ANYONE)
    assert (result.value, result.reason, result.version) == (False, Reason.DISABLED, 2)


def test_previous__a_prerequisite_gone__blocks_the_flag_below_it() -> None:
    parent, child = flag("parent", value=True), flag("child", value=True, prerequisites=("parent",))
    first = _snapshot([parent, child], 1)

    second = _snapshot([child], 2, previous=first)

    assert (second.evaluate("child", ANYONE).value, "parent" in second) == (False, False)


def test_previous__with_the_master_switch_flipped__compiles_every_flag_again() -> None:
    states = [flag("a", value=True)]
    first = _snapshot(states, 1)

    off = Snapshot(states, environment="production", version=2, flags_enabled=False, previous=first)

    assert (off.evaluate("a", ANYONE).value, off.evaluate("a", ANYONE).reason) == (False, Reason.DEFAULT)


def test_evaluate_many__evaluates_the_named_flags_that_exist() -> None:
    snapshot = _snapshot([flag("a", value=True), flag("b"), flag("c")], 1)

    results = snapshot.evaluate_many(("c", "a", "missing"), ANYONE)

    assert {key: result.value for key, result in results.items()} == {"c": False, "a": True}
