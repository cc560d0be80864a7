"""The rollout service runs on the SQL unit of work: transitions, events, audit, metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flagpilot.core import EvaluationContext, Reason, RolloutStatus, Tier
from flagpilot.services.audit import AuditLog
from flagpilot.services.errors import VersionConflict
from flagpilot.services.rollouts import Cohort, MetricRow, RolloutConfig, RolloutManager
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.storage import SqlUnitOfWorkFactory
from flagpilot.storage.snapshot_store import SqlSnapshotStore
from tests.integration.builders import add_flags

FLAG = "phase2_enhanced_storage"
NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def rollouts(uow_factory: SqlUnitOfWorkFactory) -> RolloutManager:
    add_flags(uow_factory)
    return RolloutManager(uow_factory)


def test_lifecycle__create_start_force_advance_rollback__is_stored_with_events_and_audit(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # When
    created = rollouts.create(
        FLAG, "production", RolloutConfig(whitelisted_customers=("c-1",)), actor="a", now=NOW
    )
    started = rollouts.start(FLAG, "production", actor="a", now=NOW)
    advanced = rollouts.advance(
        FLAG, "production", actor="a", now=NOW + timedelta(hours=1), force=True, reason="qa"
    )
    rolled = rollouts.rollback(
        FLAG, "production", actor="oncall", now=NOW + timedelta(hours=2), reason="errors"
    )

    # Then
    assert (created.status, created.version) == (RolloutStatus.PLANNED, 1)
    assert (started.current_tier, started.tier_started_at) == (Tier.TIER_1_INTERNAL, NOW)
    assert advanced.current_tier is Tier.TIER_2_EARLY_ADOPTERS
    stored = rollouts.get(FLAG, "production")
    assert stored == rolled
    assert (stored.status, stored.rollback_reason, stored.whitelisted_customers) == (
        RolloutStatus.ROLLED_BACK,
        "errors",
        ("c-1",),
    )
    events = rollouts.history(FLAG, "production")
    assert [e.to_status for e in events] == [
        RolloutStatus.ROLLED_BACK,
        RolloutStatus.ACTIVE,
        RolloutStatus.ACTIVE,
        RolloutStatus.PLANNED,
    ]
    assert events[1].details
    audit = AuditLog(uow_factory)
    assert [r.actor for r in audit.query(feature_name=FLAG, limit=4)] == ["oncall", "a", "a", "a"]
    assert audit.verify().ok


def test_advance__two_writers_on_the_same_version__one_gets_version_conflict(
    rollouts: RolloutManager,
) -> None:
    rollouts.create(FLAG, "production", actor="a", now=NOW)
    seen = rollouts.start(FLAG, "production", actor="a", now=NOW).version
    rollouts.advance(FLAG, "production", actor="a", now=NOW, force=True, reason="x", expected_version=seen)

    with pytest.raises(VersionConflict):
        rollouts.advance(
            FLAG, "production", actor="b", now=NOW, force=True, reason="x", expected_version=seen
        )


def test_metrics__flushed_twice__add_up_and_feed_the_statistics(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given
    rollouts.create(FLAG, "production", actor="a", now=NOW)
    record = rollouts.start(FLAG, "production", actor="a", now=NOW)
    assert record.id is not None
    minute = NOW + timedelta(minutes=5)
    rows = [MetricRow(record.id, minute, Tier.TIER_1_INTERNAL, Cohort.TREATMENT, successes=9, errors=1)]

    # When: two replicas flush the same minute
    for _ in range(2):
        with uow_factory(actor="flush") as uow:
            uow.metrics.add(rows)
            uow.commit()

    # Then
    stats = rollouts.statistics(FLAG, "production", now=NOW + timedelta(minutes=10))
    assert (stats.window.treatment.successes, stats.window.treatment.errors) == (18, 2)


def test_started_rollout__is_served_by_the_snapshot(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    rollouts.create(FLAG, "production", RolloutConfig(whitelisted_customers=("c-1",)), actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)

    snapshot = SnapshotCache(SqlSnapshotStore(uow_factory.engine)).get("production")

    result = snapshot.evaluate(FLAG, EvaluationContext(customer_id="c-1"))
    assert (result.value, result.reason, result.tier) == (True, Reason.TARGETING_MATCH, Tier.TIER_1_INTERNAL)
