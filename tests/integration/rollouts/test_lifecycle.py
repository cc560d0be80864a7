"""The rollout state machine and its gates through the SQL units of work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from flagpilot.core import FlagDefinition, FlagType, RolloutStatus, Tier
from flagpilot.services.errors import (
    EnvironmentNotFound,
    FlagNotFound,
    GateClosed,
    InvalidInput,
    RolloutStateError,
    VersionConflict,
)
from flagpilot.services.rollouts import (
    MIN_DWELL,
    MIN_EVENTS,
    Cohort,
    MetricRow,
    RolloutConfig,
    RolloutManager,
)
from flagpilot.storage import SqlUnitOfWorkFactory
from tests.integration.rollouts.conftest import FLAG, NOW

CONFIG = RolloutConfig(whitelisted_customers=("staff-1",), min_dwell_seconds=3600, min_events=20)


def test_advance__before_the_dwell_time_and_without_events__names_the_dwell_gate_first(
    rollouts: RolloutManager,
) -> None:
    rollouts.create(FLAG, "production", CONFIG, actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)

    with pytest.raises(GateClosed) as refused:
        rollouts.advance(FLAG, "production", actor="a", now=NOW + timedelta(minutes=30))

    assert refused.value.gate == MIN_DWELL
    assert refused.value.opens_at == (NOW + timedelta(hours=1)).isoformat()


def test_advance__after_the_dwell_time__waits_for_enough_events_then_moves_a_tier(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: an hour at tier 1, first with 5 healthy events, then with 25
    rollouts.create(FLAG, "production", CONFIG, actor="a", now=NOW)
    started = rollouts.start(FLAG, "production", actor="a", now=NOW)
    assert started.id is not None
    later = NOW + timedelta(hours=1, minutes=1)

    def report(successes: int) -> None:
        with uow_factory(actor="flush") as uow:
            uow.metrics.add(
                [
                    MetricRow(
                        started.id,
                        NOW + timedelta(minutes=50),
                        Tier.TIER_1_INTERNAL,
                        Cohort.TREATMENT,
                        successes,
                    )
                ]
            )
            uow.commit()

    report(5)
    with pytest.raises(GateClosed) as refused:
        rollouts.advance(FLAG, "production", actor="a", now=later)
    report(20)

    # When
    advanced = rollouts.advance(FLAG, "production", actor="a", now=later)

    # Then
    assert refused.value.gate == MIN_EVENTS
    assert (advanced.current_tier, advanced.percentage) == (Tier.TIER_2_EARLY_ADOPTERS, 10.0)


def test_transitions__out_of_order__are_refused_and_change_nothing(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    rollouts.create(FLAG, "production", actor="a", now=NOW)

    for illegal in (rollouts.resume, rollouts.complete, rollouts.restart, rollouts.pause):
        with pytest.raises(RolloutStateError):
            illegal(FLAG, "production", actor="a", now=NOW)

    stored = rollouts.get(FLAG, "production")
    assert (stored.status, stored.version) == (RolloutStatus.PLANNED, 1)
    with uow_factory.engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM rollout_events")).scalar_one()
    assert events == 1


def test_start__at_a_stale_version__is_a_version_conflict(rollouts: RolloutManager) -> None:
    rollouts.create(FLAG, "production", actor="a", now=NOW)

    with pytest.raises(VersionConflict):
        rollouts.start(FLAG, "production", actor="a", now=NOW, expected_version=7)

    assert rollouts.get(FLAG, "production").status is RolloutStatus.PLANNED


def test_full_rollout__advanced_to_tier_4__completes_and_stays_on(rollouts: RolloutManager) -> None:
    rollouts.create(FLAG, "production", actor="a", now=NOW)
    rollouts.start(FLAG, "production", actor="a", now=NOW)
    for _ in range(3):
        rollouts.advance(FLAG, "production", actor="a", now=NOW, force=True, reason="drill")

    completed = rollouts.complete(FLAG, "production", actor="a", now=NOW)

    assert (completed.status, completed.current_tier, completed.percentage) == (
        RolloutStatus.COMPLETED,
        Tier.TIER_4_FULL,
        100.0,
    )


def test_create__of_a_missing_flag__is_flag_not_found_not_a_constraint_error(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    with pytest.raises(FlagNotFound) as refused:
        rollouts.create("no_such_flag", "production", actor="a", now=NOW)

    assert "constraint" not in refused.value.detail.lower()
    with uow_factory.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM feature_rollouts")).scalar_one() == 0


def test_create__of_a_string_flag_or_in_a_missing_environment__is_refused_and_stores_nothing(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    with uow_factory(actor="test-setup") as uow:
        uow.flags.add(FlagDefinition(key="banner_text", type=FlagType.STRING, default="hi"))
        uow.commit()

    with pytest.raises(InvalidInput, match="boolean"):
        rollouts.create("banner_text", "production", actor="a", now=NOW)
    with pytest.raises(EnvironmentNotFound):
        rollouts.create(FLAG, "nowhere", actor="a", now=NOW)

    with uow_factory.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM feature_rollouts")).scalar_one() == 0


def test_stored_times__read_back_aware_utc_through_every_reader(
    rollouts: RolloutManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    rollouts.create(FLAG, "production", CONFIG, actor="a", now=NOW)
    started = rollouts.start(FLAG, "production", actor="a", now=NOW)

    with uow_factory(actor="reader", read_only=True) as uow:
        [listed] = uow.rollouts.list(flag_key=FLAG)
    assert listed.tier_started_at == NOW == started.tier_started_at
    assert listed.tier_started_at is not None
    assert listed.tier_started_at.utcoffset() == timedelta(0)
