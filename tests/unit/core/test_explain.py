"""explain() is the readable statement of the rule; evaluate() the compiled one. They must agree."""

from __future__ import annotations

from flagpilot.core import (
    ErrorCode,
    Reason,
    Rollout,
    RolloutStatus,
)
from tests.unit.builders import KEY, ctx, flag, rollout, snapshot


def test_explain__of_a_default__walks_all_seven_steps() -> None:
    # Given a flag configured not at all
    snap = snapshot(flag())

    # When explained
    explanation = snap.explain(KEY, ctx("c-1", "acme"))

    # Then all seven steps are listed in order and only the default applied
    assert [s.order for s in explanation.steps] == [1, 2, 3, 4, 5, 6, 7]
    assert [s.source for s in explanation.steps if s.applied] == ["default value"]


def test_explain__of_a_paused_rollout__says_it_serves_and_of_a_planned_one_says_why_not() -> None:
    # Given two flags, one paused at 100% and one planned
    snap = snapshot(
        flag("paused_flag", rollout=rollout(100, status=RolloutStatus.PAUSED)),
        flag("planned_flag", rollout=rollout(100, status=RolloutStatus.PLANNED)),
    )

    # When both are explained
    paused = snap.explain("paused_flag", ctx("c-1"))
    planned = snap.explain("planned_flag", ctx("c-1"))

    # Then the paused rollout decided, and the planned one is skipped with its status named
    assert paused.result.reason is Reason.SPLIT
    assert "planned" in planned.steps[3].detail
    assert planned.result.reason is Reason.DEFAULT


def test_explain__of_an_unknown_flag__is_an_error_without_steps() -> None:
    # Given an empty snapshot
    snap = snapshot()

    # When an unknown flag is explained
    explanation = snap.explain("missing", ctx("c-1"))

    # Then the result is FLAG_NOT_FOUND and no step was considered
    assert explanation.result.error_code is ErrorCode.FLAG_NOT_FOUND
    assert explanation.steps == ()


def test_explain__with_the_master_switch_off__names_the_master_switch() -> None:
    # Given the master switch off
    snap = snapshot(flag(value=True), flags_enabled=False)

    # When explained
    explanation = snap.explain(KEY, ctx("c-1"))

    # Then the only step is the master switch, and the default is served
    assert [(s.source, s.applied) for s in explanation.steps] == [("master switch", True)]
    assert (explanation.result.value, explanation.result.reason) == (False, Reason.DEFAULT)


def test_explain__of_a_rolled_back_rollout__names_the_rollback_and_its_reason() -> None:
    # Given a rolled-back rollout with its reason, over an environment value of true
    rolled_back = Rollout(status=RolloutStatus.ROLLED_BACK, rollback_reason="error rate 7.5% over 5%")
    snap = snapshot(flag(value=True, rollout=rolled_back))

    # When explained
    explanation = snap.explain(KEY, ctx("c-1"))

    # Then the rollback decided, with its reason, and the flag is off as DISABLED
    assert explanation.steps[-1].source == "rollout rolled back"
    assert "error rate 7.5% over 5%" in explanation.steps[-1].detail
    assert (explanation.result.value, explanation.result.reason) == (False, Reason.DISABLED)


def test_explain__of_an_unmet_prerequisite__names_it() -> None:
    # Given auto-restore requiring parent storage, which is killed
    snap = snapshot(
        flag("parent_storage", default=True, killed=True),
        flag(KEY, default=True, prerequisites=("parent_storage",)),
    )

    # When explained
    explanation = snap.explain(KEY, ctx("c-1"))

    # Then the prerequisite step applied and names the parent and why it is off
    assert (explanation.steps[-1].source, explanation.steps[-1].applied) == ("prerequisites", True)
    assert "'parent_storage' is off (DISABLED)" in explanation.steps[-1].detail
    assert explanation.result.reason is Reason.DISABLED


def test_explain__of_a_flag_in_a_cycle__says_so() -> None:
    snap = snapshot(flag("other", prerequisites=(KEY,)), flag(KEY, prerequisites=("other",)))

    explanation = snap.explain(KEY, ctx("c-1"))

    assert "cycle" in explanation.steps[-1].detail
    assert explanation.result.reason is Reason.DISABLED
