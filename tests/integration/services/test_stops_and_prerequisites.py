"""A rolled-back rollout and an unmet prerequisite turn a flag off in the served snapshot, on
both databases, whichever way the change was made."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from flagpilot.core import EvaluationContext, FlagDefinition, FlagType, Reason, RolloutStatus, Snapshot, Tier
from flagpilot.services.errors import Conflict, InvalidInput
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.services.stored_records import OverrideScope
from flagpilot.storage import SqlUnitOfWorkFactory
from flagpilot.storage.snapshot_store import SqlSnapshotStore

OVERRIDDEN = EvaluationContext(customer_id="c-own", organization_id="o-1")
EMERGENCY_SQL = (
    "UPDATE feature_rollouts SET current_tier = 'tier_0_disabled', percentage = 0, "
    "status = 'rolled_back' WHERE feature_name = 'checkout'"
)


def served(uow_factory: SqlUnitOfWorkFactory) -> Snapshot:
    """Production as a server process that starts now would serve it."""
    cache = SnapshotCache(SqlSnapshotStore(uow_factory.engine))
    try:
        return cache.get("production")
    finally:
        cache.close()


def checkout_on_everywhere(
    manager: FlagManager, uow_factory: SqlUnitOfWorkFactory, status: RolloutStatus
) -> None:
    """`checkout` on in production, on for one customer by override, with a rollout in `status`."""
    manager.set_value("checkout", "production", True, actor="a")
    manager.set_override("checkout", "production", OverrideScope.CUSTOMER, "c-own", True, actor="a")
    with uow_factory(actor="a") as uow:
        uow.rollouts.put(
            RolloutRecord(
                feature_name="checkout",
                environment="production",
                current_tier=Tier.TIER_2_EARLY_ADOPTERS,
                percentage=10.0,
                status=status,
                rollback_reason="error rate 7.5% over 5%" if status is RolloutStatus.ROLLED_BACK else None,
            )
        )
        uow.commit()


def test_rolled_back_rollout__is_off_for_everyone_and_explain_names_the_reason(
    manager: FlagManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given checkout on in production and for one customer, with its rollout rolled back
    checkout_on_everywhere(manager, uow_factory, RolloutStatus.ROLLED_BACK)

    # When the served snapshot is asked
    snapshot = served(uow_factory)
    results = [snapshot.evaluate("checkout", c) for c in (OVERRIDDEN, EvaluationContext(customer_id="c-9"))]

    # Then nobody gets it, and the explanation names the rollback and its reason
    assert {(r.value, r.reason) for r in results} == {(False, Reason.DISABLED)}
    assert "error rate 7.5% over 5%" in snapshot.explain("checkout", OVERRIDDEN).steps[-1].detail


def test_emergency_sql__has_the_same_effect_as_a_rollback(
    manager: FlagManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given checkout on in production and for one customer, in an active rollout
    checkout_on_everywhere(manager, uow_factory, RolloutStatus.ACTIVE)
    assert served(uow_factory).evaluate("checkout", OVERRIDDEN).value is True

    # When an operator runs the checklist's emergency UPDATE by hand
    with uow_factory.engine.begin() as connection:
        connection.execute(text(EMERGENCY_SQL))

    # Then the customer with an override is off too
    result = served(uow_factory).evaluate("checkout", OVERRIDDEN)
    assert (result.value, result.reason) == (False, Reason.DISABLED)


def test_kill_of_a_prerequisite__cuts_its_subtree_in_one_snapshot_version(
    manager: FlagManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given storage <- restore <- sync, all on in production
    manager.create_flag(FlagDefinition(key="storage", default=True), actor="a")
    manager.create_flag(FlagDefinition(key="restore", default=True, prerequisites=("storage",)), actor="a")
    manager.create_flag(FlagDefinition(key="sync", default=True, prerequisites=("restore",)), actor="a")
    before = served(uow_factory)
    assert before.evaluate("sync", OVERRIDDEN).value is True

    # When the top flag is killed
    manager.kill("storage", "production", actor="oncall", reason="incident")

    # Then one new version turns the whole chain off, and sync's explanation names restore
    after = served(uow_factory)
    assert after.version > before.version
    assert {
        (after.evaluate(k, OVERRIDDEN).value, after.evaluate(k, OVERRIDDEN).reason)
        for k in ("storage", "restore", "sync")
    } == {(False, Reason.DISABLED)}
    assert "'restore' is off" in after.explain("sync", OVERRIDDEN).steps[-1].detail


def test_update_flag__closing_a_cycle__is_refused_with_the_cycle_path(manager: FlagManager) -> None:
    # Given express requires checkout
    manager.create_flag(FlagDefinition(key="express", prerequisites=("checkout",)), actor="a")

    # When checkout is made to require express, Then the cycle is refused and its path named
    with pytest.raises(InvalidInput, match="checkout → express → checkout"):
        manager.update_flag("checkout", {"prerequisites": ["express"]}, actor="a")


def test_archive_flag__of_a_prerequisite__is_refused_naming_its_dependants(manager: FlagManager) -> None:
    manager.create_flag(FlagDefinition(key="express", prerequisites=("checkout",)), actor="a")

    with pytest.raises(Conflict, match="prerequisite of 'express'"):
        manager.archive_flag("checkout", actor="a")
    manager.archive_flag("express", actor="a")
    assert manager.archive_flag("checkout", actor="a").record.archived


def test_create_flag__that_a_stored_flag_names_with_the_wrong_type__is_refused(
    manager: FlagManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given a flag that names a missing prerequisite (written by hand, as no API allows it)
    with uow_factory.engine.begin() as connection:
        connection.execute(text("UPDATE flags SET prerequisites = '[\"later\"]' WHERE key = 'checkout'"))

    # When the missing flag is created as a string flag, Then it is refused: prerequisites are bool
    with pytest.raises(InvalidInput, match="'later' is a string flag"):
        manager.create_flag(FlagDefinition(key="later", type=FlagType.STRING, default="x"), actor="a")
    assert manager.create_flag(FlagDefinition(key="later"), actor="a").key == "later"
