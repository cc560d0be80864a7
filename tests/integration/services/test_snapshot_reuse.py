"""A rebuild compiles only the flags whose rows changed, and a flag it keeps never serves a stale
value: every kind of change, through the services or by hand in SQL, shows up in the next
snapshot, and the flags nothing touched keep their compiled form (their results keep the version
they were compiled at)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from flagpilot.core import EvaluationContext, FlagDefinition, FlagType, Reason, RolloutStatus, Tier
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.services.stored_records import OverrideScope
from flagpilot.storage import SqlUnitOfWorkFactory
from flagpilot.storage.snapshot_store import SqlSnapshotStore

ENV = "production"
ANYONE = EvaluationContext(customer_id="c-1", organization_id="o-1")
STRANGER = EvaluationContext(customer_id="c-9", organization_id="o-9")
RECORD_IN_O2 = "UPDATE customer_feature_flags SET organization_id = 'o-2' WHERE customer_id = 'c-1'"


@pytest.fixture
def cache(uow_factory: SqlUnitOfWorkFactory, manager: FlagManager) -> Iterator[SnapshotCache]:
    """A cache told of this process's writes, with a parent/child pair and a bystander flag."""
    manager.create_flag(FlagDefinition(key="parent"), actor="setup")
    manager.create_flag(FlagDefinition(key="child", prerequisites=("parent",)), actor="setup")
    manager.create_flag(FlagDefinition(key="bystander", type=FlagType.JSON, default=1), actor="setup")
    manager.set_value("parent", ENV, True, actor="setup")
    manager.set_value("child", ENV, True, actor="setup")
    built = SnapshotCache(SqlSnapshotStore(uow_factory.engine))
    uow_factory.add_commit_listener(built.invalidate)
    yield built
    built.close()


def _rollout(status: RolloutStatus, tier: Tier, percentage: float) -> RolloutRecord:
    return RolloutRecord(
        feature_name="checkout",
        environment=ENV,
        current_tier=tier,
        percentage=percentage,
        status=status,
        whitelisted_customers=("c-1",),
    )


def _by_sql(uow_factory: SqlUnitOfWorkFactory, statement: str) -> None:
    with uow_factory.engine.begin() as connection:
        connection.execute(text(statement))


def test_rebuild__keeps_the_compiled_form_of_untouched_flags(
    cache: SnapshotCache, manager: FlagManager
) -> None:
    # Given
    before = cache.get(ENV)

    # When
    manager.kill("checkout", ENV, actor="oncall")

    # Then: the changed flag is compiled at the new version, the others are kept as they were
    after = cache.get(ENV)
    assert after.version > before.version
    changed = after.evaluate("checkout", ANYONE)
    assert (changed.reason, changed.version) == (Reason.DISABLED, after.version)
    for key in ("banner", "parent", "child", "bystander"):
        assert after.evaluate(key, ANYONE) == before.evaluate(key, ANYONE)


def test_rebuild__after_a_prerequisite_changes__compiles_the_flags_below_it_again(
    cache: SnapshotCache, manager: FlagManager
) -> None:
    before = cache.get(ENV)
    assert before.evaluate("child", ANYONE).value is True

    manager.kill("parent", ENV, actor="oncall")

    after = cache.get(ENV)
    child = after.evaluate("child", ANYONE)
    assert (child.value, child.reason, child.version) == (False, Reason.DISABLED, after.version)


def _set_value(manager: FlagManager, uow_factory: SqlUnitOfWorkFactory) -> None:
    manager.set_value("banner", ENV, "changed", actor="a")


def _set_organization_override(manager: FlagManager, uow_factory: SqlUnitOfWorkFactory) -> None:
    manager.set_override("banner", ENV, OverrideScope.ORGANIZATION, "o-1", "changed", actor="a")


def _set_customer_override(manager: FlagManager, uow_factory: SqlUnitOfWorkFactory) -> None:
    manager.set_override("banner", ENV, OverrideScope.CUSTOMER, "c-1", "changed", actor="a")


def _change_default(manager: FlagManager, uow_factory: SqlUnitOfWorkFactory) -> None:
    manager.update_flag("banner", {"default": "changed"}, actor="a")


def _change_value_by_hand(manager: FlagManager, uow_factory: SqlUnitOfWorkFactory) -> None:
    _by_sql(uow_factory, "UPDATE flags SET default_value = '\"changed\"' WHERE key = 'banner'")


@pytest.mark.parametrize(
    "change",
    [_set_value, _set_organization_override, _set_customer_override, _change_default, _change_value_by_hand],
    ids=["environment value", "organization override", "customer override", "default", "default by hand"],
)
def test_rebuild__every_change_to_a_flag__is_served(
    cache: SnapshotCache,
    manager: FlagManager,
    uow_factory: SqlUnitOfWorkFactory,
    change: Callable[[FlagManager, SqlUnitOfWorkFactory], None],
) -> None:
    assert cache.get(ENV).evaluate("banner", ANYONE).value == "hello"

    change(manager, uow_factory)
    cache.invalidate()  # a change by hand is not announced by a commit listener

    after = cache.get(ENV)
    result = after.evaluate("banner", ANYONE)
    assert (result.value, result.version) == ("changed", after.version)


def test_rebuild__an_override_changed_or_removed__is_served(
    cache: SnapshotCache, manager: FlagManager
) -> None:
    manager.set_override("banner", ENV, OverrideScope.CUSTOMER, "c-1", "first", actor="a")
    assert cache.get(ENV).evaluate("banner", ANYONE).value == "first"

    manager.set_override("banner", ENV, OverrideScope.CUSTOMER, "c-1", "second", actor="a")
    assert cache.get(ENV).evaluate("banner", ANYONE).value == "second"

    manager.clear_override("banner", ENV, OverrideScope.CUSTOMER, "c-1", actor="a")
    assert cache.get(ENV).evaluate("banner", ANYONE).value == "hello"


def test_rebuild__a_rollout_that_moves__is_served(
    cache: SnapshotCache, uow_factory: SqlUnitOfWorkFactory
) -> None:
    with uow_factory(actor="a") as uow:
        uow.rollouts.put(_rollout(RolloutStatus.ACTIVE, Tier.TIER_0_DISABLED, 0.0))
        uow.commit()
    assert cache.get(ENV).evaluate("checkout", STRANGER).value is False

    with uow_factory(actor="a") as uow:
        uow.rollouts.put(_rollout(RolloutStatus.ACTIVE, Tier.TIER_4_FULL, 100.0))
        uow.commit()
    full = cache.get(ENV).evaluate("checkout", STRANGER)
    assert (full.value, full.tier) == (True, Tier.TIER_4_FULL)

    with uow_factory(actor="a") as uow:
        uow.rollouts.put(_rollout(RolloutStatus.ROLLED_BACK, Tier.TIER_4_FULL, 100.0))
        uow.commit()
    assert cache.get(ENV).evaluate("checkout", ANYONE).reason is Reason.DISABLED


def test_rebuild__a_number_written_again_as_a_boolean__is_served_as_the_boolean(
    cache: SnapshotCache, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # 1 == True in Python, but they are different JSON values: the flag must be built again.
    before = cache.get(ENV).evaluate("bystander", ANYONE).value
    assert (before, type(before)) == (1, int)

    _by_sql(uow_factory, "UPDATE flags SET default_value = 'true' WHERE key = 'bystander'")
    cache.invalidate()

    after = cache.get(ENV).evaluate("bystander", ANYONE).value
    assert (after, type(after)) == (True, bool)


def test_rebuild__an_archived_flag__is_gone(cache: SnapshotCache, manager: FlagManager) -> None:
    assert "bystander" in cache.get(ENV)

    manager.archive_flag("bystander", actor="a")

    assert "bystander" not in cache.get(ENV)


def test_rebuild__a_prerequisite_archived_by_hand__blocks_the_flag_below_it(
    cache: SnapshotCache, uow_factory: SqlUnitOfWorkFactory
) -> None:
    assert cache.get(ENV).evaluate("child", ANYONE).value is True

    _by_sql(uow_factory, "UPDATE flags SET archived = true WHERE key = 'parent'")
    cache.invalidate()

    child = cache.get(ENV).evaluate("child", ANYONE)
    assert (child.value, child.reason) == (False, Reason.DISABLED)


def test_rebuild__a_customer_override_recorded_in_another_organization__is_served_there_only(
    cache: SnapshotCache, manager: FlagManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given c-1's override recorded in no organization: it applies whatever the context names
    manager.set_override("banner", ENV, OverrideScope.CUSTOMER, "c-1", "own", actor="a")
    assert cache.get(ENV).evaluate("banner", ANYONE).value == "own"

    # When the same value is recorded in o-2 instead (only the organization column changes)
    _by_sql(uow_factory, "INSERT INTO organizations (id, name) VALUES ('o-2', '')")
    _by_sql(uow_factory, RECORD_IN_O2)
    cache.invalidate()

    # Then a context naming o-1 no longer gets it, one naming o-2 does
    after = cache.get(ENV)
    assert after.evaluate("banner", ANYONE).value == "hello"
    in_o2 = EvaluationContext(customer_id="c-1", organization_id="o-2")
    assert after.evaluate("banner", in_o2).value == "own"
