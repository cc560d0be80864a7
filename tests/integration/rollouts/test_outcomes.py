"""Outcome events counted in memory and flushed to rollout_metrics: replicas' counts add up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from flagpilot.core import RolloutStatus
from flagpilot.services.rollouts import OutcomeAggregator, RolloutConfig, RolloutManager
from flagpilot.storage import SqlUnitOfWorkFactory
from flagpilot.storage.repositories.rollout_metrics import SqlMetricSink
from tests.integration.rollouts.conftest import FLAG, NOW

STAFF = "staff-1"


def _aggregator(uow_factory: SqlUnitOfWorkFactory, rollouts: RolloutManager) -> OutcomeAggregator:
    aggregator = OutcomeAggregator(SqlMetricSink(uow_factory.engine))
    aggregator.set_rollouts("production", rollouts.list_rollouts("production"))
    return aggregator


def _events(outcome: str, count: int) -> list[dict[str, object]]:
    return [{"featureName": FLAG, "customerId": STAFF, "outcome": outcome, "count": count}]


def test_flush__from_two_replicas_in_the_same_minute__sums_their_counts(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: two replicas, each counting outcomes of the same rollout
    rollouts.create(FLAG, "production", RolloutConfig(whitelisted_customers=(STAFF,)), actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)
    first, second = _aggregator(uow_factory, rollouts), _aggregator(uow_factory, rollouts)
    moment = NOW + timedelta(minutes=3)

    # When
    first.record(_events("success", 7) + _events("error", 1), environment="production", now=moment)
    second.record(_events("success", 3) + _events("error", 2), environment="production", now=moment)
    second.record(_events("error", 1), environment="production", now=moment)
    flushed = [first.flush(moment), second.flush(moment), second.flush(moment)]

    # Then
    treatment = rollouts.statistics(FLAG, "production", now=moment + timedelta(minutes=1)).window.treatment
    assert (treatment.successes, treatment.errors) == (10, 4)
    assert flushed == [1, 1, 0]


def test_flush__of_a_rollout_deleted_meanwhile__drops_its_counts_and_keeps_the_rest(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: counts for two rollouts, then one flag (and its rollout) is deleted
    for flag in (FLAG, "phase3_tab_sync"):
        rollouts.create(flag, "production", RolloutConfig(whitelisted_customers=(STAFF,)), actor="a", now=NOW)
        rollouts.start(flag, "production", actor="a", now=NOW)
    aggregator = _aggregator(uow_factory, rollouts)
    events = [
        *_events("success", 2),
        {"featureName": "phase3_tab_sync", "customerId": STAFF, "outcome": "error"},
    ]
    aggregator.record(events, environment="production", now=NOW)
    with uow_factory.engine.begin() as connection:
        connection.execute(text("DELETE FROM feature_rollouts WHERE feature_name = 'phase3_tab_sync'"))

    # When
    aggregator.flush(NOW)

    # Then
    assert aggregator.pending() == 0
    assert rollouts.statistics(FLAG, "production", now=NOW).window.treatment.successes == 2


def test_record__after_the_rollout_is_rolled_back_and_refreshed__ignores_the_events(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    rollouts.create(FLAG, "production", actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)
    aggregator = _aggregator(uow_factory, rollouts)
    rolled = rollouts.rollback(FLAG, "production", actor="oncall", now=NOW, reason="bug")
    aggregator.set_rollouts("production", rollouts.list_rollouts("production"))

    result = aggregator.record(_events("error", 5), environment="production", now=NOW)

    assert rolled.status is RolloutStatus.ROLLED_BACK
    assert (result.accepted, result.ignored) == (0, 1)
