"""The automatic checker: acts on verdicts through the manager, audited, alerted, at most once."""

from __future__ import annotations

from datetime import timedelta

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.rollouts import (
    AUTO_ACTOR,
    Cohort,
    InMemoryAlerts,
    RollbackChecker,
    RolloutManager,
)
from tests.fakes.rollouts import InMemoryRolloutStore
from tests.unit.services.rollouts.helpers import ENV, FLAG, NOW, add_outcomes, manager_with_store, started

CHECK = NOW + timedelta(minutes=30)


def checker_over(
    manager: RolloutManager, store: InMemoryRolloutStore
) -> tuple[RollbackChecker, InMemoryAlerts]:
    alerts = InMemoryAlerts()
    return RollbackChecker(manager, store, alerts), alerts


def test_check_all__on_conclusive_errors__rolls_back_audited_with_evidence_and_alerts() -> None:
    # Given an active tier with 15% errors over 400 events
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=20), successes=340, errors=60)
    checker, alerts = checker_over(manager, store)

    # When
    [result] = checker.check_all(CHECK)

    # Then
    assert result.action == "rolled_back"
    rolled = manager.get(FLAG, ENV)
    assert (rolled.status, rolled.current_tier, rolled.percentage) == (
        RolloutStatus.ROLLED_BACK,
        Tier.TIER_0_DISABLED,
        0.0,
    )
    assert str(rolled.rollback_reason).startswith("automatic rollback")
    event = store.events[-1]
    assert (event.actor, event.event_type, event.details["automatic"]) == (AUTO_ACTOR, "rolled_back", True)
    assert event.details["evidence"]["tierTotal"]["treatment"]["errors"] == 60
    audit = store.audit_rows[-1]
    assert (audit.actor, audit.entry.action) == (AUTO_ACTOR, "rollout.auto_rollback")
    assert audit.entry.after["evidence"]["absolute"]["conclusive"] is True
    [alert] = alerts.recent()
    assert (alert.kind, alert.severity, alert.feature_name) == ("rollout.auto_rollback", "critical", FLAG)
    assert alert.id == f"{ENV}/{FLAG}/v{rolled.version}/rollout.auto_rollback"


def test_check_all__on_healthy_rollouts__changes_nothing() -> None:
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=20), successes=490, errors=10)
    checker, alerts = checker_over(manager, store)

    [result] = checker.check_all(CHECK)

    assert (result.action, result.decision.verdict) == ("none", "healthy")
    assert manager.get(FLAG, ENV).status is RolloutStatus.ACTIVE
    assert alerts.recent() == []


def test_check_all__on_an_inconclusive_degradation__pauses_once_and_warns() -> None:
    # Given errors as bad in control as in treatment
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=20), successes=340, errors=60)
    add_outcomes(
        store, record, at=NOW + timedelta(minutes=20), successes=8_500, errors=1_500, cohort=Cohort.CONTROL
    )
    checker, alerts = checker_over(manager, store)

    # When checked twice
    [first] = checker.check_all(CHECK)
    [second] = checker.check_all(CHECK + timedelta(minutes=1))

    # Then it paused once, with one warning
    assert (first.action, second.action) == ("paused", "none")
    assert manager.get(FLAG, ENV).status is RolloutStatus.PAUSED
    assert [(a.kind, a.severity) for a in alerts.recent()] == [("rollout.auto_pause", "warning")]
    assert store.audit_rows[-1].entry.action == "rollout.auto_pause"


def test_check_all__a_paused_rollout_with_conclusive_errors__is_still_rolled_back() -> None:
    manager, store = manager_with_store()
    record = started(manager)
    manager.pause(FLAG, ENV, actor="alice", now=NOW)
    add_outcomes(store, record, at=NOW + timedelta(minutes=20), successes=340, errors=60)
    checker, _ = checker_over(manager, store)

    [result] = checker.check_all(CHECK)

    assert result.action == "rolled_back"


def test_check__when_the_rollout_changed_after_the_verdict__skips_instead_of_acting_twice() -> None:
    # Given two checkers that judged the same version
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=20), successes=340, errors=60)
    first, first_alerts = checker_over(manager, store)
    second, second_alerts = checker_over(manager, store)
    verdict = second.judge(record, manager.statistics(FLAG, ENV, now=CHECK))

    # When the first acts, then the second acts on its stale verdict
    first.check_all(CHECK)
    stale = second.apply(record, verdict, CHECK)

    # Then the rollback happened once
    assert stale.action == "skipped"
    assert [e.event_type for e in store.events].count("rolled_back") == 1
    assert (len(first_alerts.recent()), len(second_alerts.recent())) == (1, 0)


def test_check_all__ignores_planned_completed_and_rolled_back_rollouts() -> None:
    manager, store = manager_with_store()
    manager.create(FLAG, ENV, actor="alice", now=NOW)
    checker, _ = checker_over(manager, store)

    assert checker.check_all(CHECK) == []
