"""The rollout service: each transition is stored with its event and audit row, or not at all."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from flagpilot.api.serialisers import rollout_detail_json
from flagpilot.core import FlagDefinition, FlagType, RolloutStatus, Tier
from flagpilot.presets import ROLLOUT_FLAGS
from flagpilot.services.errors import (
    AlreadyExists,
    EnvironmentNotFound,
    FlagNotFound,
    InvalidInput,
    RolloutNotFound,
    RolloutStateError,
    VersionConflict,
)
from flagpilot.services.rollouts import RolloutConfig, RolloutManager, create_preset_rollouts
from flagpilot.services.stored_records import FlagRecord
from tests.fakes.rollouts import InMemoryRolloutStore, InMemoryUnitOfWork
from tests.unit.services.rollouts.helpers import (
    ACTOR,
    DAY,
    ENV,
    FLAG,
    NOW,
    add_outcomes,
    created,
    manager_with_store,
    started,
)


def test_create__stores_a_planned_rollout_with_its_event_and_audit_row() -> None:
    # Given
    manager, store = manager_with_store()

    # When
    record = manager.create(FLAG, ENV, RolloutConfig(whitelisted_customers=("c-1",)), actor=ACTOR, now=NOW)

    # Then
    assert manager.get(FLAG, ENV) == record
    assert (record.status, record.current_tier, record.percentage) == (
        RolloutStatus.PLANNED,
        Tier.TIER_0_DISABLED,
        0.0,
    )
    [event] = store.events
    assert (event.event_type, event.to_status, event.actor) == ("created", RolloutStatus.PLANNED, ACTOR)
    [row] = store.audit_rows
    assert (row.actor, row.entry.action, row.entry.scope, row.entry.before) == (
        ACTOR,
        "rollout.create",
        "rollout",
        None,
    )
    assert row.entry.after["whitelistedCustomers"] == ["c-1"]


def test_create__when_the_flag_already_has_a_rollout__is_refused() -> None:
    manager, _ = manager_with_store()
    created(manager)

    with pytest.raises(AlreadyExists, match=FLAG):
        created(manager)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rollbackThreshold": {"errorRate": 1.5}}, "rollbackThreshold.errorRate"),
        ({"rollbackThreshold": {"errorRate": "high"}}, "rollbackThreshold.errorRate"),
        ({"rollbackThreshold": {"timeWindow": 0}}, "rollbackThreshold.timeWindow"),
        ({"rollbackThreshold": {"timeWindow": 1.5}}, "rollbackThreshold.timeWindow"),
        ({"rollbackThreshold": []}, "rollbackThreshold"),
        ({"whitelistedCustomers": "c-1"}, "whitelistedCustomers"),
        ({"whitelistedCustomers": ["c-1", ""]}, "whitelistedCustomers[1]"),
        ({"whitelistedCustomers": ["c-1", "c-1"]}, "whitelistedCustomers[1]"),
        ({"minEvents": 0}, "minEvents"),
        ({"minDwellSeconds": -1}, "minDwellSeconds"),
    ],
)
def test_config_from_wire__with_a_bad_field__names_it(body: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        RolloutConfig.from_wire(body, FLAG)

    assert [problem.field for problem in raised.value.problems] == [field]


def test_config_from_wire__reads_the_checklists_threshold() -> None:
    config = RolloutConfig.from_wire(
        {
            "whitelistedCustomers": ["internal"],
            "rollbackThreshold": {"errorRate": 0.02, "timeWindow": 600_000},
        }
    )

    assert config == RolloutConfig(("internal",), 0.02, 600_000)


def test_create__with_an_invalid_threshold__stores_nothing() -> None:
    manager, store = manager_with_store()

    with pytest.raises(InvalidInput):
        created(manager, RolloutConfig(error_rate_threshold=-0.1))

    assert (store.rollouts, store.events, store.audit_rows) == ({}, [], [])


def test_transition__of_an_unknown_rollout__is_not_found() -> None:
    manager, _ = manager_with_store()

    with pytest.raises(RolloutNotFound):
        manager.start(FLAG, ENV, actor=ACTOR, now=NOW)


def test_start__records_the_event_and_an_audit_row_with_before_and_after() -> None:
    # Given
    manager, store = manager_with_store()
    created(manager)

    # When
    record = manager.start(FLAG, ENV, actor=ACTOR, now=NOW, reason="week 1")

    # Then
    assert (record.status, record.percentage, record.version) == (RolloutStatus.ACTIVE, 1.0, 2)
    event = store.events[-1]
    assert (event.event_type, event.from_tier, event.to_tier, event.reason) == (
        "started",
        Tier.TIER_0_DISABLED,
        Tier.TIER_1_INTERNAL,
        "week 1",
    )
    entry = store.audit_rows[-1].entry
    assert (entry.action, entry.before["status"], entry.after["status"]) == (
        "rollout.start",
        "planned",
        "active",
    )


def test_refused_transition__writes_no_event_no_audit_row_and_keeps_the_version() -> None:
    # Given
    manager, store = manager_with_store()
    record = created(manager)

    # When
    with pytest.raises(RolloutStateError, match="only an active rollout can pause"):
        manager.pause(FLAG, ENV, actor=ACTOR, now=NOW)

    # Then
    assert manager.get(FLAG, ENV).version == record.version
    assert (len(store.events), len(store.audit_rows)) == (1, 1)


def test_rollback__without_a_reason__is_refused_naming_the_field() -> None:
    manager, _ = manager_with_store()
    started(manager)

    with pytest.raises(InvalidInput) as raised:
        manager.rollback(FLAG, ENV, actor=ACTOR, now=NOW, reason="  ")

    assert [problem.field for problem in raised.value.problems] == ["reason"]


def test_rollback_then_restart__returns_to_planned_and_history_lists_it_newest_first() -> None:
    # Given
    manager, _ = manager_with_store()
    started(manager)

    # When
    rolled = manager.rollback(FLAG, ENV, actor=ACTOR, now=NOW, reason="Critical bug")
    restarted = manager.restart(FLAG, ENV, actor=ACTOR, now=NOW + DAY)

    # Then
    assert (rolled.status, rolled.current_tier, rolled.rollback_reason) == (
        RolloutStatus.ROLLED_BACK,
        Tier.TIER_0_DISABLED,
        "Critical bug",
    )
    assert restarted.status is RolloutStatus.PLANNED
    history = manager.history(FLAG, ENV)
    assert [event.event_type for event in history] == ["restarted", "rolled_back", "started", "created"]


def test_pause_resume_and_complete__walk_the_lifecycle_to_the_end() -> None:
    # Given
    manager, store = manager_with_store()
    started(manager)

    # When
    manager.pause(FLAG, ENV, actor=ACTOR, now=NOW)
    manager.resume(FLAG, ENV, actor=ACTOR, now=NOW)
    for _ in range(3):
        manager.advance(FLAG, ENV, actor=ACTOR, now=NOW, force=True, reason="staging drill")
    done = manager.complete(FLAG, ENV, actor=ACTOR, now=NOW)

    # Then
    assert (done.status, done.current_tier, done.percentage) == (
        RolloutStatus.COMPLETED,
        Tier.TIER_4_FULL,
        100.0,
    )
    actions = [row.entry.action for row in store.audit_rows]
    assert actions == [
        "rollout.create",
        "rollout.start",
        "rollout.pause",
        "rollout.resume",
        "rollout.advance",
        "rollout.advance",
        "rollout.advance",
        "rollout.complete",
    ]


def test_list_rollouts__filters_by_environment_and_status() -> None:
    manager, _ = manager_with_store()
    created(manager)
    manager.create("phase3_tab_sync", "staging", actor=ACTOR, now=NOW)
    manager.start(FLAG, ENV, actor=ACTOR, now=NOW)

    assert [r.feature_name for r in manager.list_rollouts(ENV)] == [FLAG]
    assert [r.feature_name for r in manager.list_rollouts(statuses={RolloutStatus.PLANNED})] == [
        "phase3_tab_sync"
    ]


def test_advance__with_a_stale_expected_version__is_a_version_conflict() -> None:
    manager, _ = manager_with_store()
    record = started(manager)
    manager.pause(FLAG, ENV, actor=ACTOR, now=NOW)

    with pytest.raises(VersionConflict):
        manager.advance(
            FLAG, ENV, actor=ACTOR, now=NOW, force=True, reason="x", expected_version=record.version
        )


class _RacingStore(InMemoryRolloutStore):
    """Units of work that wait for each other after reading, so both read the same version."""

    def __init__(self, racers: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(racers, timeout=5)
        self.racing = False

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> InMemoryUnitOfWork:
        uow = super().__call__(actor, organization_id, read_only=read_only)
        if self.racing:
            reader = uow.rollouts.get

            def get_then_wait(feature_name: str, environment: str):  # type: ignore[no-untyped-def]
                found = reader(feature_name, environment)
                self.barrier.wait()
                return found

            uow.rollouts.get = get_then_wait  # type: ignore[method-assign]
        return uow


def test_concurrent_advances__move_the_tier_exactly_once() -> None:
    # Given two requests that both read the rollout at tier 1
    store = _RacingStore(racers=2)
    manager = RolloutManager(store)
    started(manager)
    store.racing = True
    outcomes: list[str] = []

    def advance() -> None:
        try:
            manager.advance(FLAG, ENV, actor=ACTOR, now=NOW + 3 * DAY, force=True, reason="go")
            outcomes.append("advanced")
        except VersionConflict:
            outcomes.append("conflict")

    # When both advance at once
    threads = [threading.Thread(target=advance) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one wins, the other sees the conflict, and the tier moved once
    store.racing = False
    assert sorted(outcomes) == ["advanced", "conflict"]
    assert manager.get(FLAG, ENV).current_tier is Tier.TIER_2_EARLY_ADOPTERS
    assert [e.event_type for e in store.events].count("advanced") == 1


def test_statistics__counts_the_current_tiers_outcomes() -> None:
    # Given
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=5), successes=90, errors=10)

    # When
    stats = manager.statistics(FLAG, ENV, now=NOW + timedelta(minutes=10))

    # Then
    assert (stats.window.treatment.exposures, stats.window.treatment.error_rate) == (100, 0.1)
    assert stats.tier_total.treatment.errors == 10


def _store_with(*flags: FlagDefinition | FlagRecord) -> InMemoryRolloutStore:
    return InMemoryRolloutStore(flags=flags, environments=(ENV,))


def test_create__of_a_flag_that_does_not_exist__is_flag_not_found_and_stores_nothing() -> None:
    store = _store_with()

    with pytest.raises(FlagNotFound, match="does not exist"):
        RolloutManager(store).create(FLAG, ENV, actor=ACTOR, now=NOW)

    assert (store.rollouts, store.events, store.audit_rows) == ({}, [], [])


def test_create__of_an_archived_flag__is_flag_not_found_saying_archived() -> None:
    store = _store_with(FlagRecord(FlagDefinition(key=FLAG), archived=True))

    with pytest.raises(FlagNotFound, match="archived"):
        RolloutManager(store).create(FLAG, ENV, actor=ACTOR, now=NOW)

    assert store.rollouts == {}


@pytest.mark.parametrize(
    ("flag_type", "default"), [(FlagType.STRING, "blue"), (FlagType.NUMBER, 3), (FlagType.JSON, {"a": 1})]
)
def test_create__of_a_flag_that_is_not_boolean__is_invalid_input_naming_feature_name(
    flag_type: FlagType, default: object
) -> None:
    store = _store_with(FlagDefinition(key=FLAG, type=flag_type, default=default))

    with pytest.raises(InvalidInput, match="only a boolean flag") as refused:
        RolloutManager(store).create(FLAG, ENV, actor=ACTOR, now=NOW)

    assert [problem.field for problem in refused.value.problems] == ["featureName"]
    assert store.rollouts == {}


def test_create__in_an_environment_that_does_not_exist__is_environment_not_found() -> None:
    store = _store_with(FlagDefinition(key=FLAG))

    with pytest.raises(EnvironmentNotFound, match="'nowhere'"):
        RolloutManager(store).create(FLAG, "nowhere", actor=ACTOR, now=NOW)

    assert store.rollouts == {}


def test_advance__forced_without_a_reason__is_invalid_input_and_moves_nothing() -> None:
    manager, _ = manager_with_store()
    before = started(manager)

    with pytest.raises(InvalidInput) as refused:
        manager.advance(FLAG, ENV, actor=ACTOR, now=NOW + DAY, force=True, reason="  ")

    assert [problem.field for problem in refused.value.problems] == ["reason"]
    assert manager.get(FLAG, ENV) == before


def test_detail__of_an_active_rollout__has_its_statistics_closed_gates_and_history_newest_first() -> None:
    manager, store = manager_with_store()
    record = started(manager)
    add_outcomes(store, record, at=NOW + timedelta(minutes=1), successes=7, errors=0)

    detail = manager.detail(FLAG, ENV, now=NOW + timedelta(hours=1), history_limit=1)

    assert detail.record == record
    assert (detail.statistics.window.treatment.successes, detail.statistics.window.treatment.errors) == (7, 0)
    assert [gate.gate for gate in detail.closed_gates] == ["min_dwell", "min_events"]
    assert [event.event_type for event in detail.events] == ["started"]
    assert rollout_detail_json(detail)["closedGates"][0]["gate"] == "min_dwell"


def test_detail__of_a_planned_rollout__has_no_closed_gates() -> None:
    manager, _ = manager_with_store()
    created(manager)

    assert manager.detail(FLAG, ENV, now=NOW).closed_gates == ()


def test_create_preset_rollouts__creates_the_six_once_then_reports_them_as_existing() -> None:
    manager, store = manager_with_store()

    first = create_preset_rollouts(manager, ENV, ["staff-1"], actor=ACTOR, now=NOW)
    manager.start(FLAG, ENV, actor=ACTOR, now=NOW)
    again = create_preset_rollouts(manager, ENV, ["someone-else"], actor=ACTOR, now=NOW)

    assert [o.rollout.feature_name for o in first] == list(ROLLOUT_FLAGS)
    assert {(o.result, o.rollout.whitelisted_customers) for o in first} == {("created", ("staff-1",))}
    assert {o.result for o in again} == {"exists"}
    assert next(o.rollout for o in again if o.rollout.feature_name == FLAG).status is RolloutStatus.ACTIVE
    assert len(store.rollouts) == 6


def test_create_preset_rollouts__with_a_blank_customer__is_invalid_input_and_creates_none() -> None:
    manager, store = manager_with_store()

    with pytest.raises(InvalidInput):
        create_preset_rollouts(manager, ENV, ["  "], actor=ACTOR, now=NOW)

    assert store.rollouts == {}
