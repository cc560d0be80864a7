"""Flag definitions: created, changed, archived and restored, each change with its audit row."""

from __future__ import annotations

import pytest

from flagpilot.core import FlagDefinition
from flagpilot.services.errors import AlreadyExists, Conflict, FlagNotFound, InvalidInput, VersionConflict
from flagpilot.services.flags import FlagManager
from tests.fakes.flags import InMemoryStore


def test_create_flag__is_at_version_1_in_every_environment_and_audited(
    manager: FlagManager, store: InMemoryStore
) -> None:
    # When
    view = manager.create_flag(FlagDefinition(key="search"), actor="alice", reason="new search")

    # Then
    assert (view.key, view.version) == ("search", 1)
    assert list(view.environments) == ["development", "production", "staging"]
    assert [(row.actor, row.entry.action, row.entry.feature_name) for row in store.audit_rows] == [
        ("alice", "flag.create", "search")
    ]


def test_create_flag__twice__is_refused_and_writes_nothing(
    manager: FlagManager, store: InMemoryStore
) -> None:
    with pytest.raises(AlreadyExists):
        manager.create_flag(FlagDefinition(key="checkout"), actor="alice")

    assert store.audit_rows == []


def test_create_flag__with_a_bad_key_and_default__names_both_fields(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.create_flag(FlagDefinition(key="Bad Key", default="yes"), actor="alice")

    assert {(p.flag, p.field) for p in raised.value.problems} == {("Bad Key", "key"), ("Bad Key", "default")}


def test_a_change__without_an_actor__is_refused_before_anything_is_read(
    manager: FlagManager, store: InMemoryStore
) -> None:
    with pytest.raises(InvalidInput, match="actor"):
        manager.create_flag(FlagDefinition(key="search"), actor="  ")

    assert "search" not in store.flags


def test_update_flag__at_a_stale_version__is_a_conflict_and_keeps_the_definition(
    manager: FlagManager, store: InMemoryStore
) -> None:
    # Given a change that moved the flag to version 2
    manager.update_flag("checkout", {"description": "first"}, actor="alice", expected_version=1)

    # When a second writer still holds version 1
    with pytest.raises(VersionConflict) as raised:
        manager.update_flag("checkout", {"description": "second"}, actor="bob", expected_version=1)

    # Then the first change stands, and only it is audited
    assert raised.value.current_version == 2
    assert manager.get_flag("checkout").record.definition.description == "first"
    assert [row.actor for row in store.audit_rows] == ["alice"]


def test_update_flag__requiring_a_flag_that_does_not_exist__names_the_field(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.update_flag("checkout", {"prerequisites": ["nope"]}, actor="alice")

    assert [(p.flag, p.field) for p in raised.value.problems] == [("checkout", "prerequisites")]
    assert manager.get_flag("checkout").version == 1


def test_archive_flag__that_another_flag_requires__is_refused_naming_it(manager: FlagManager) -> None:
    # Given banner requires checkout
    manager.update_flag("banner", {"prerequisites": ["checkout"]}, actor="alice")

    # When checkout is archived
    with pytest.raises(Conflict, match="banner"):
        manager.archive_flag("checkout", actor="alice")

    # Then it is still served
    assert not manager.get_flag("checkout").record.archived


def test_archive_then_restore__hide_the_flag_from_the_list_and_bring_it_back(manager: FlagManager) -> None:
    manager.archive_flag("banner", actor="alice")
    archived = [view.key for view in manager.list_flags()]
    manager.restore_flag("banner", actor="alice")

    assert archived == ["checkout"]
    assert [view.key for view in manager.list_flags()] == ["banner", "checkout"]
    assert manager.get_flag("banner").version == 3


def test_get_flag__of_an_unknown_key__is_not_found(manager: FlagManager) -> None:
    with pytest.raises(FlagNotFound):
        manager.get_flag("nope")
