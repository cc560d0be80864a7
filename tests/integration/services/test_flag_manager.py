"""The flag manager changes flags and settings, validates them, and audits every change."""

from __future__ import annotations

import pytest

from flagpilot.api.serialisers import flag_json
from flagpilot.core import UNSET, FlagDefinition
from flagpilot.services.audit import AuditLog
from flagpilot.services.errors import (
    AlreadyExists,
    EnvironmentNotFound,
    FlagNotFound,
    InvalidInput,
    VersionConflict,
)
from flagpilot.services.flags import FlagManager


def test_create_flag__then_get__shows_it_in_every_environment(manager: FlagManager) -> None:
    view = manager.get_flag("checkout")

    assert view.version == 1
    assert view.record.definition.description == "New checkout"
    assert list(view.environments) == ["development", "production", "staging"]
    assert flag_json(view)["environments"]["production"] == {
        "killed": False,
        "rollout": None,
        "customerOverrides": 0,
        "organizationOverrides": 0,
    }


def test_create_flag__twice__is_refused(manager: FlagManager) -> None:
    with pytest.raises(AlreadyExists):
        manager.create_flag(FlagDefinition(key="checkout"), actor="alice")


def test_create_flag__with_bad_key_and_default__names_both_fields(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.create_flag(FlagDefinition(key="Bad Key", default="yes"), actor="alice")

    assert {(p.flag, p.field) for p in raised.value.problems} == {("Bad Key", "key"), ("Bad Key", "default")}


def test_set_value__of_the_wrong_type__names_flag_and_field_and_writes_nothing(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    before = len(audit_log.query())

    # When
    with pytest.raises(InvalidInput) as raised:
        manager.set_value("banner", "production", 3, actor="alice")

    # Then
    assert [(p.flag, p.field) for p in raised.value.problems] == [("banner", "value")]
    assert manager.get_flag("banner").version == 1
    assert len(audit_log.query()) == before


def test_set_value__unknown_flag_or_environment__is_not_found(manager: FlagManager) -> None:
    with pytest.raises(FlagNotFound):
        manager.set_value("nope", "production", True, actor="alice")
    with pytest.raises(EnvironmentNotFound):
        manager.set_value("checkout", "moon", True, actor="alice")


def test_set_and_clear_value__bump_the_version_and_are_audited(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    # When
    set_view = manager.set_value("checkout", "production", True, actor="alice", reason="launch")
    cleared = manager.clear_value("checkout", "production", actor="bob")

    # Then
    assert set_view.environments["production"].setting is not None
    assert set_view.environments["production"].setting.value is True
    assert cleared.environments["production"].setting is not None
    assert cleared.environments["production"].setting.value is UNSET
    assert cleared.version == 3
    rows = audit_log.query(feature_name="checkout", limit=2)
    assert [(r.action, r.actor, r.environment) for r in rows] == [
        ("environment.clear_value", "bob", "production"),
        ("environment.set_value", "alice", "production"),
    ]
    assert rows[1].reason == "launch"
    assert rows[1].after_value == '{"killed":false,"value":true}'


def test_kill_and_unkill__flip_the_switch_with_the_reason_audited(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    killed = manager.kill("checkout", "production", actor="oncall", reason="errors spiking")
    unkilled = manager.unkill("checkout", "production", actor="oncall", reason="fixed")

    assert killed.environments["production"].killed
    assert not unkilled.environments["production"].killed
    assert [r.reason for r in audit_log.query(actor="oncall")] == ["fixed", "errors spiking"]


def test_update_flag__based_on_a_stale_version__raises_version_conflict(manager: FlagManager) -> None:
    # Given: two editors read version 1
    seen = manager.get_flag("checkout").version
    manager.update_flag("checkout", {"description": "first"}, actor="alice", expected_version=seen)

    # When / Then
    with pytest.raises(VersionConflict) as raised:
        manager.update_flag("checkout", {"description": "second"}, actor="bob", expected_version=seen)
    assert raised.value.current_version == 2
    assert manager.get_flag("checkout").record.definition.description == "first"


def test_update_flag__unknown_or_fixed_field__is_refused_naming_it(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.update_flag("checkout", {"type": "string", "colour": "red"}, actor="alice")

    assert {p.field for p in raised.value.problems} == {"type", "colour"}


def test_set_value__of_a_prerequisite_to_off__is_allowed_while_dependants_are_on(
    manager: FlagManager,
) -> None:
    # Given express on, requiring checkout, which is on
    manager.create_flag(FlagDefinition(key="express", prerequisites=("checkout",)), actor="alice")
    manager.set_value("checkout", "production", True, actor="alice")
    manager.set_value("express", "production", True, actor="alice")

    # When checkout is turned off (express then evaluates off), Then nothing is refused
    view = manager.set_value("checkout", "production", False, actor="alice")

    assert view.record.key == "checkout"


def test_kill__of_a_prerequisite__is_never_refused(manager: FlagManager) -> None:
    manager.create_flag(FlagDefinition(key="express", prerequisites=("checkout",)), actor="alice")
    manager.set_value("checkout", "production", True, actor="alice")
    manager.set_value("express", "production", True, actor="alice")

    view = manager.kill("checkout", "production", actor="oncall", reason="incident")

    assert view.environments["production"].killed


def test_archive_and_restore__keep_the_flag_and_its_settings(manager: FlagManager) -> None:
    manager.set_value("checkout", "staging", True, actor="alice")

    archived = manager.archive_flag("checkout", actor="alice")
    listed = [view.key for view in manager.list_flags()]
    restored = manager.restore_flag("checkout", actor="alice")

    assert archived.record.archived
    assert "checkout" not in listed
    assert not restored.record.archived
    assert restored.environments["staging"].setting is not None


def test_change__when_its_transaction_fails_after_the_change__leaves_neither_change_nor_audit_row(
    database_url: str, manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given: a unit of work whose commit fails after the change and its audit row were written
    from flagpilot.storage import SqlUnitOfWork, SqlUnitOfWorkFactory, build_engine

    class FailingCommit(SqlUnitOfWork):
        def commit(self) -> None:
            raise RuntimeError("the disk is full")

    engine = build_engine(database_url)
    failing = FlagManager(SqlUnitOfWorkFactory(engine, unit_class=FailingCommit))
    rows_before = len(audit_log.query())

    # When
    with pytest.raises(RuntimeError):
        failing.kill("checkout", "production", actor="mallory", reason="oops")
    engine.dispose()

    # Then
    assert not manager.get_flag("checkout").environments["production"].killed
    assert manager.get_flag("checkout").version == 1
    assert len(audit_log.query()) == rows_before
    assert audit_log.query(actor="mallory") == []
