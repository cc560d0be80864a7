"""Advancing is gated by dwell time, evidence and health; forcing skips them, on the record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flagpilot.core import Tier
from flagpilot.services.errors import GateClosed, InvalidInput, RolloutStateError
from flagpilot.services.rollouts import Cohort, RolloutManager, RolloutRecord
from tests.fakes.rollouts import InMemoryRolloutStore
from tests.unit.services.rollouts.helpers import (
    ACTOR,
    ENV,
    FLAG,
    NOW,
    add_outcomes,
    manager_with_store,
    started,
)

AFTER_DWELL = NOW + timedelta(hours=48)


def healthy_tier(store: InMemoryRolloutStore, record: RolloutRecord) -> None:
    """100 treatment events at 2% errors, in the last minutes before AFTER_DWELL."""
    add_outcomes(store, record, at=AFTER_DWELL - timedelta(minutes=5), successes=98, errors=2)


def test_advance__before_min_dwell__is_refused_until_the_dwell_ends() -> None:
    # Given
    manager, store = manager_with_store()
    record = started(manager)
    healthy_tier(store, record)

    # When
    with pytest.raises(GateClosed) as raised:
        manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL - timedelta(seconds=1))

    # Then
    assert raised.value.gate == "min_dwell"
    assert raised.value.opens_at == AFTER_DWELL.isoformat()
    assert manager.get(FLAG, ENV).current_tier is Tier.TIER_1_INTERNAL


def test_advance__with_too_few_events__says_how_many_more_it_needs() -> None:
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=AFTER_DWELL - timedelta(minutes=5), successes=60, errors=0)

    with pytest.raises(GateClosed) as raised:
        manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL)

    assert (raised.value.gate, raised.value.opens_at) == ("min_events", "after 40 more events")


def test_advance__counts_only_treatment_events_toward_the_minimum() -> None:
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(hours=47), successes=500, errors=0, cohort=Cohort.CONTROL)

    with pytest.raises(GateClosed) as raised:
        manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL)

    assert raised.value.gate == "min_events"


def test_advance__with_an_error_rate_above_the_threshold__is_refused() -> None:
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=AFTER_DWELL - timedelta(minutes=5), successes=90, errors=10)

    with pytest.raises(GateClosed, match=r"10\.00%") as raised:
        manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL)

    assert (raised.value.gate, raised.value.opens_at) == ("error_rate", None)


def test_advance__with_old_errors_outside_the_window__passes_the_health_gate() -> None:
    # Given errors two hours ago and a healthy last hour
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=AFTER_DWELL - timedelta(hours=2), successes=50, errors=50)
    healthy_tier(store, record)

    # When
    advanced = manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL)

    # Then
    assert (advanced.current_tier, advanced.percentage) == (Tier.TIER_2_EARLY_ADOPTERS, 10.0)


def test_advance__when_every_gate_is_open__moves_on_and_the_next_tier_starts_its_own_count() -> None:
    # Given
    manager, store = manager_with_store()
    record = started(manager)
    healthy_tier(store, record)

    # When
    manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL)

    # Then tier 2 needs its own dwell and its own events
    with pytest.raises(GateClosed) as raised:
        manager.advance(FLAG, ENV, actor=ACTOR, now=AFTER_DWELL + timedelta(hours=48))
    assert raised.value.gate == "min_events"


def test_forced_advance__without_a_reason__is_refused() -> None:
    manager, _ = manager_with_store()
    started(manager)

    with pytest.raises(InvalidInput) as raised:
        manager.advance(FLAG, ENV, actor=ACTOR, now=NOW, force=True)

    assert [problem.field for problem in raised.value.problems] == ["reason"]


def test_forced_advance__skips_the_gates_and_records_which_and_why() -> None:
    # Given a tier just started, with no events
    manager, store = manager_with_store()
    started(manager)

    # When
    advanced = manager.advance(FLAG, ENV, actor=ACTOR, now=NOW, force=True, reason="hotfix verified")

    # Then
    assert advanced.current_tier is Tier.TIER_2_EARLY_ADOPTERS
    event = store.events[-1]
    assert event.details["forced"] is True
    assert [gate["gate"] for gate in event.details["skippedGates"]] == ["min_dwell", "min_events"]
    entry = store.audit_rows[-1].entry
    assert (entry.action, entry.reason) == ("rollout.advance", "hotfix verified")
    assert [gate["gate"] for gate in entry.after["skippedGates"]] == ["min_dwell", "min_events"]


def test_forced_advance__of_a_paused_rollout__is_still_refused() -> None:
    manager, _ = manager_with_store()
    started(manager)
    manager.pause(FLAG, ENV, actor=ACTOR, now=NOW)

    with pytest.raises(RolloutStateError, match="cannot advance a paused rollout"):
        manager.advance(FLAG, ENV, actor=ACTOR, now=NOW, force=True, reason="x")


def test_advance__at_tier_4__is_refused() -> None:
    manager, _ = manager_with_store()
    started(manager)
    for _ in range(3):
        manager.advance(FLAG, ENV, actor=ACTOR, now=NOW, force=True, reason="drill")

    with pytest.raises(RolloutStateError, match="complete it instead"):
        manager.advance(FLAG, ENV, actor=ACTOR, now=NOW, force=True, reason="drill")


def test_manager_over_a_fresh_store__has_no_rollouts() -> None:
    assert RolloutManager(InMemoryRolloutStore()).list_rollouts() == []
