"""The automatic-rollback checker on SQL: it rolls back on conclusive errors, with the evidence."""

from __future__ import annotations

import json
from datetime import timedelta

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.audit import AuditLog
from flagpilot.services.rollouts import (
    AUTO_ACTOR,
    InMemoryAlerts,
    OutcomeAggregator,
    RollbackChecker,
    RolloutConfig,
    RolloutManager,
)
from flagpilot.storage import SqlUnitOfWorkFactory
from flagpilot.storage.repositories.rollout_metrics import SqlMetricSink
from tests.integration.rollouts.conftest import FLAG, NOW

CONFIG = RolloutConfig(whitelisted_customers=("staff-1", "staff-2"), min_events=50)


def _report(uow_factory: SqlUnitOfWorkFactory, rollouts: RolloutManager, successes: int, errors: int) -> None:
    aggregator = OutcomeAggregator(SqlMetricSink(uow_factory.engine))
    aggregator.set_rollouts("production", rollouts.list_rollouts("production"))
    events = [
        {"featureName": FLAG, "customerId": "staff-1", "outcome": "success", "count": successes},
        {"featureName": FLAG, "customerId": "staff-2", "outcome": "error", "count": errors},
    ]
    aggregator.record(events, environment="production", now=NOW + timedelta(minutes=5))
    aggregator.flush(NOW + timedelta(minutes=5))


def test_check_all__with_a_burst_of_errors__rolls_back_with_the_evidence_in_the_audit_row(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: tier 1 with 60 errors in 100 outcomes, against a 5% threshold
    rollouts.create(FLAG, "production", CONFIG, actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)
    _report(uow_factory, rollouts, successes=40, errors=60)
    alerts = InMemoryAlerts()
    checker = RollbackChecker(rollouts, alerts)

    # When
    results = checker.check_all(NOW + timedelta(minutes=6))

    # Then
    assert [r.action for r in results] == ["rolled_back"]
    stored = rollouts.get(FLAG, "production")
    assert (stored.status, stored.current_tier, stored.percentage) == (
        RolloutStatus.ROLLED_BACK,
        Tier.TIER_0_DISABLED,
        0.0,
    )
    [row] = AuditLog(uow_factory).query(feature_name=FLAG, actor=AUTO_ACTOR, limit=5)
    assert row.action == "rollout.auto_rollback"
    evidence = json.loads(row.after_value or "{}")["evidence"]
    assert (evidence["window"]["treatment"]["errors"], evidence["threshold"]) == (60, 0.05)
    [alert] = alerts.recent()
    assert (alert.kind, alert.version) == ("rollout.auto_rollback", stored.version)


def test_check_all__with_a_healthy_tier__changes_nothing(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    rollouts.create(FLAG, "production", CONFIG, actor="a", now=NOW)
    started = rollouts.start(FLAG, "production", actor="a", now=NOW)
    _report(uow_factory, rollouts, successes=199, errors=1)
    alerts = InMemoryAlerts()

    results = RollbackChecker(rollouts, alerts).check_all(NOW + timedelta(minutes=6))

    assert [r.action for r in results] == ["none"]
    assert rollouts.get(FLAG, "production").version == started.version
    assert alerts.recent() == []


def test_check_all__by_two_checkers_on_one_verdict__rolls_back_once(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: two checkers that judged the same version
    rollouts.create(FLAG, "production", CONFIG, actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)
    _report(uow_factory, rollouts, successes=40, errors=60)
    now = NOW + timedelta(minutes=6)
    checkers = [RollbackChecker(rollouts, InMemoryAlerts()) for _ in range(2)]
    record = rollouts.get(FLAG, "production")
    stats = rollouts.statistics(FLAG, "production", now=now)
    decisions = [checker.judge(record, stats) for checker in checkers]

    # When
    actions = [
        checker.apply(record, decision, now).action
        for checker, decision in zip(checkers, decisions, strict=True)
    ]

    # Then
    assert actions == ["rolled_back", "skipped"]
    assert len(AuditLog(uow_factory).query(feature_name=FLAG, actor=AUTO_ACTOR)) == 1
