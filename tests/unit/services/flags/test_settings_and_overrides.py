"""Environment values, the kill switch, overrides and bulk changes over the in-memory unit of work."""

from __future__ import annotations

import pytest

from flagpilot.core import FlagDefinition
from flagpilot.services.errors import FlagNotFound, InvalidInput, PermissionDenied, VersionConflict
from flagpilot.services.flags import BulkAction, FlagManager
from flagpilot.services.stored_records import OverrideScope
from tests.fakes.flags import InMemoryStore

CUSTOMER = OverrideScope.CUSTOMER
ORGANIZATION = OverrideScope.ORGANIZATION


def test_set_value__of_the_wrong_type__names_flag_and_field_and_writes_nothing(
    manager: FlagManager, store: InMemoryStore
) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.set_value("banner", "production", 3, actor="alice")

    assert [(p.flag, p.field) for p in raised.value.problems] == [("banner", "value")]
    assert manager.get_flag("banner").version == 1
    assert store.audit_rows == []


def test_kill_and_unkill__switch_one_environment_only(manager: FlagManager) -> None:
    killed = manager.kill("checkout", "production", actor="alice", reason="incident")
    states = {name: state.killed for name, state in killed.environments.items()}
    revived = manager.unkill("checkout", "production", actor="alice", reason="fixed")

    assert states == {"development": False, "production": True, "staging": False}
    assert not revived.environments["production"].killed


def test_set_overrides__many_at_once__store_every_value_with_one_audit_row(
    manager: FlagManager, store: InMemoryStore
) -> None:
    values = {f"c-{n}": n % 2 == 0 for n in range(50)}

    count = manager.set_overrides("checkout", "production", CUSTOMER, values, actor="alice", reason="beta")

    assert count == 50
    assert manager.get_flag("checkout").environments["production"].customer_overrides == 50
    assert len(store.audit_rows) == 1


def test_set_overrides__with_one_bad_value__writes_none_of_them(
    manager: FlagManager, store: InMemoryStore
) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.set_overrides("banner", "production", CUSTOMER, {"c-1": "hi", "c-2": 3}, actor="alice")

    assert [p.field for p in raised.value.problems] == ["customerOverrides[c-2]"]
    assert store.overrides == {}


def test_set_override__for_another_organization__is_denied_to_a_confined_caller(manager: FlagManager) -> None:
    with pytest.raises(PermissionDenied):
        manager.set_override(
            "checkout", "production", ORGANIZATION, "globex", True, actor="alice", organization_id="acme"
        )


def test_list_overrides__pages_in_subject_order_with_a_cursor(manager: FlagManager) -> None:
    manager.set_overrides("checkout", "production", CUSTOMER, {f"c-{n}": True for n in range(5)}, actor="a")

    first = manager.list_overrides("checkout", CUSTOMER, limit=2)
    assert first.next_cursor is not None
    second = manager.list_overrides("checkout", CUSTOMER, limit=2, cursor=first.next_cursor)

    assert [o.subject_id for o in first.items + second.items] == ["c-0", "c-1", "c-2", "c-3"]


def test_clear_override__removes_it_and_says_whether_there_was_one(manager: FlagManager) -> None:
    manager.set_override("checkout", "production", CUSTOMER, "c-1", True, actor="alice")

    assert manager.clear_override("checkout", "production", CUSTOMER, "c-1", actor="alice") is True
    assert manager.clear_override("checkout", "production", CUSTOMER, "c-1", actor="alice") is False


def test_bulk_kill__of_several_flags__is_one_transaction_and_one_version_step_each(
    manager: FlagManager, store: InMemoryStore
) -> None:
    commits = store.commits

    changed = manager.bulk(BulkAction.KILL, ["checkout", "banner"], "staging", actor="alice", reason="freeze")

    assert changed == 2
    assert store.commits == commits + 1
    assert all(view.environments["staging"].killed for view in manager.list_flags())
    assert [view.version for view in manager.list_flags()] == [2, 2]


def test_bulk_enable__of_a_flag_and_its_prerequisite__writes_one_row_each_in_the_order_given(
    manager: FlagManager, store: InMemoryStore
) -> None:
    # Given a flag that requires another
    manager.create_flag(FlagDefinition(key="parent"), actor="setup")
    manager.create_flag(FlagDefinition(key="child", prerequisites=("parent",)), actor="setup")
    store.audit_rows.clear()
    commits = store.commits

    # When both are turned on in one bulk action, the dependent one listed first
    changed = manager.bulk(BulkAction.ENABLE, ["child", "parent"], "staging", actor="alice", reason="launch")

    # Then both are on, in one transaction, with one audit row each in the order given
    assert changed == 2
    assert store.commits == commits + 1
    assert manager.get_flag("child").enabled("staging") is True
    assert [(row.entry.feature_name, row.entry.reason) for row in store.audit_rows] == [
        ("child", "launch"),
        ("parent", "launch"),
    ]


def test_bulk__with_an_unknown_flag__changes_nothing(manager: FlagManager) -> None:
    with pytest.raises(FlagNotFound):
        manager.bulk(BulkAction.KILL, ["checkout", "nope"], "staging", actor="alice", reason="freeze")

    assert not manager.get_flag("checkout").environments["staging"].killed


def test_kill__at_a_stale_version__is_a_conflict_and_leaves_the_switch_alone(
    manager: FlagManager, store: InMemoryStore
) -> None:
    manager.set_value("checkout", "production", True, actor="alice")

    with pytest.raises(VersionConflict):
        manager.kill("checkout", "production", actor="bob", reason="incident", expected_version=1)

    assert not manager.get_flag("checkout").environments["production"].killed
    assert [row.actor for row in store.audit_rows] == ["alice"]
