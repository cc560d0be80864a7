"""The automatic checker: acts on verdicts through the manager, audited, alerted, at most once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services import contention
from flagpilot.services.contention import ATTEMPTS
from flagpilot.services.errors import WriteContention
from flagpilot.services.rollouts import (
    AUTO_ACTOR,
    Cohort,
    InMemoryAlerts,
    RollbackChecker,
    RolloutManager,
)
from tests.fakes.rollouts import InMemoryRolloutStore, InMemoryUnitOfWork
from tests.unit.services.rollouts.helpers import (
    ACTOR,
    ENV,
    FLAG,
    NOW,
    add_outcomes,
    created,
    manager_with_store,
    started,
)

CHECK = NOW + timedelta(minutes=30)
OTHER_FLAG = "phase3_analytics"


class ContendedStore(InMemoryRolloutStore):
    """Once `aborts` is set, aborts that many of the next commits that change `flag`'s rollout, as
    the database aborts a deadlock or serialization victim: nothing of the unit of work is written."""

    def __init__(self, flag: str = FLAG) -> None:
        super().__init__()
        self.flag = flag
        self.aborts = 0
        self.aborted = 0

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> InMemoryUnitOfWork:
        return _ContendedUnitOfWork(self, actor, organization_id)


class _ContendedUnitOfWork(InMemoryUnitOfWork):
    def commit(self) -> None:
        store = self.store
        assert isinstance(store, ContendedStore)
        if store.aborts and any(key[0] == store.flag for key in self.staged):
            store.aborts -= 1
            store.aborted += 1
            raise WriteContention("deadlock detected")
        super().commit()


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contention, "PAUSE_SECONDS", 0.0)


def _failing(store: InMemoryRolloutStore, manager: RolloutManager, flag: str = FLAG) -> None:
    """`flag`'s rollout started, with 15% errors over 400 events: conclusive for a rollback."""
    if flag != FLAG:
        created(manager, flag=flag)
        manager.start(flag, ENV, actor=ACTOR, now=NOW)
        record = manager.get(flag, ENV)
    else:
        record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=20), successes=340, errors=60)


def checker_over(
    manager: RolloutManager, store: InMemoryRolloutStore
) -> tuple[RollbackChecker, InMemoryAlerts]:
    alerts = InMemoryAlerts()
    return RollbackChecker(manager, alerts), alerts


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


def test_check_all__a_rollback_aborted_once_by_write_contention__is_run_again_and_applied_once() -> None:
    # Given a conclusive rollback whose first write the database aborts (a deadlock victim)
    store = ContendedStore()
    manager = RolloutManager(store)
    _failing(store, manager)
    checker, alerts = checker_over(manager, store)
    store.aborts = 1

    # When
    [result] = checker.check_all(CHECK)

    # Then the whole unit of work ran again: rolled back once, one event, one audit row, one alert
    assert store.aborted == 1
    assert result.action == "rolled_back"
    assert manager.get(FLAG, ENV).status is RolloutStatus.ROLLED_BACK
    assert [e.event_type for e in store.events].count("rolled_back") == 1
    assert [row.entry.action for row in store.audit_rows].count("rollout.auto_rollback") == 1
    assert [alert.kind for alert in alerts.recent()] == ["rollout.auto_rollback"]


def test_check_all__contention_on_every_attempt__leaves_that_rollout_to_the_next_check_only() -> None:
    # Given two failing rollouts, the first of which the database aborts every attempt
    store = ContendedStore()
    manager = RolloutManager(store)
    _failing(store, manager)
    _failing(store, manager, OTHER_FLAG)
    checker, alerts = checker_over(manager, store)
    store.aborts = ATTEMPTS

    # When
    results = {result.feature_name: result.action for result in checker.check_all(CHECK)}

    # Then the other is rolled back; the contended one is unchanged, unalerted, and the next
    # check rolls it back
    assert results == {FLAG: "contended", OTHER_FLAG: "rolled_back"}
    assert manager.get(FLAG, ENV).status is RolloutStatus.ACTIVE
    assert [alert.feature_name for alert in alerts.recent()] == [OTHER_FLAG]
    [again] = checker.check_all(CHECK + timedelta(seconds=5))
    assert (again.feature_name, again.action) == (FLAG, "rolled_back")
