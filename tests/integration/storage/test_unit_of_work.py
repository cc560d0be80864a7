"""The unit of work commits everything or nothing, and its repositories round-trip what they store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from flagpilot.core import UNSET, FlagDefinition, FlagType, RolloutStatus, Tier
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.errors import AlreadyExists, StorageUnavailable, VersionConflict
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.stored_records import FlagSetting, OverrideScope
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from flagpilot.storage.models import CustomerFeatureFlag
from tests.integration.builders import add_flags

FLAG = "phase2_enhanced_storage"


def test_leaving_without_commit__rolls_everything_back(uow_factory: SqlUnitOfWorkFactory) -> None:
    # Given
    add_flags(uow_factory)

    # When
    with uow_factory(actor="alice") as uow:
        uow.flags.add(FlagDefinition(key="never_committed"))

    # Then
    with uow_factory(actor="alice", read_only=True) as uow:
        assert uow.flags.get("never_committed") is None


def test_commit__calls_the_commit_listeners_once(uow_factory: SqlUnitOfWorkFactory) -> None:
    calls: list[str] = []
    uow_factory.add_commit_listener(lambda: calls.append("committed"))

    add_flags(uow_factory)

    assert calls == ["committed"]


def test_flags__add_twice__is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    add_flags(uow_factory)

    with pytest.raises(AlreadyExists), uow_factory(actor="alice") as uow:
        uow.flags.add(FlagDefinition(key=FLAG))


def test_flags__save_with_stale_version__raises_version_conflict(uow_factory: SqlUnitOfWorkFactory) -> None:
    # Given
    add_flags(uow_factory)
    definition = FlagDefinition(key=FLAG, description="new")

    # When
    with uow_factory(actor="alice") as uow:
        saved = uow.flags.save(definition, archived=False, expected_version=1)
        uow.commit()

    # Then
    assert saved.version == 2
    assert saved.definition == definition
    with pytest.raises(VersionConflict) as raised, uow_factory(actor="bob") as uow:
        uow.flags.save(definition, archived=True, expected_version=1)
    assert raised.value.current_version == 2


def test_settings_overrides_and_rollouts__round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    # Given
    add_flags(uow_factory)
    rollout = RolloutRecord(
        feature_name=FLAG,
        environment="staging",
        current_tier=Tier.TIER_1_INTERNAL,
        percentage=1.0,
        status=RolloutStatus.ACTIVE,
        whitelisted_customers=("c1",),
        created_by="alice",
    )

    # When
    with uow_factory(actor="alice") as uow:
        uow.flags.add(FlagDefinition(key="banner", type=FlagType.JSON, default={"text": "hi"}))
        uow.environments.put_setting(FlagSetting("banner", "production", value={"text": "prod"}))
        uow.environments.put_setting(FlagSetting(FLAG, "production", killed=True))
        uow.overrides.put_many(
            OverrideScope.CUSTOMER, FLAG, "production", {"c1": True, "c2": False}, reason="pilot"
        )
        uow.overrides.put_many(
            OverrideScope.CUSTOMER, FLAG, "production", {"c2": True}, reason="again", organization_id="o1"
        )
        uow.rollouts.put(rollout)
        uow.commit()

    # Then
    with uow_factory(actor="alice", read_only=True) as uow:
        settings = uow.environments.settings_in("production")
        overrides = uow.overrides.page(OverrideScope.CUSTOMER, flag_key=FLAG)
        stored = uow.rollouts.get(FLAG, "staging")
        counts = uow.overrides.counts()
    assert settings["banner"].value == {"text": "prod"}
    assert settings[FLAG].killed
    assert settings[FLAG].value is UNSET
    assert [(o.subject_id, o.value, o.organization_id, o.reason, o.created_by) for o in overrides] == [
        ("c1", True, None, "pilot", "alice"),
        ("c2", True, "o1", "again", "alice"),
    ]
    assert stored is not None
    assert replace(stored, id=None, created_at=None, updated_at=None) == rollout
    assert counts == {(FLAG, "production", OverrideScope.CUSTOMER): 2}


def test_overrides__page_after_cursor__continues_where_the_last_page_ended(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    # Given
    add_flags(uow_factory)
    with uow_factory(actor="alice") as uow:
        uow.overrides.put_many(
            OverrideScope.CUSTOMER, FLAG, "production", {f"c{i:03}": True for i in range(25)}, reason=""
        )
        uow.commit()

    # When
    pages = []
    cursor = None
    with uow_factory(actor="alice", read_only=True) as uow:
        while page := uow.overrides.page(OverrideScope.CUSTOMER, flag_key=FLAG, after=cursor, limit=10):
            pages.append([o.subject_id for o in page])
            last = page[-1]
            cursor = (last.flag_key, last.environment, last.subject_id)

    # Then
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [subject for page in pages for subject in page] == [f"c{i:03}" for i in range(25)]


def test_unreachable_database__raises_storage_unavailable() -> None:
    engine = build_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    factory = SqlUnitOfWorkFactory(engine)

    with pytest.raises(StorageUnavailable), factory(actor="alice"):
        pass


def test_rows_written__carry_the_factory_clock_read_once_per_unit_of_work(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    # Given a factory whose clock moves a second every time it is read
    start = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    reads: list[datetime] = []

    def clock() -> datetime:
        reads.append(start + timedelta(seconds=len(reads)))
        return reads[-1]

    fixed = SqlUnitOfWorkFactory(uow_factory.engine, clock=clock)
    add_flags(uow_factory)

    # When one unit of work writes a flag, a setting, an override, a rollout and an audit row
    with fixed(actor="alice") as uow:
        uow.flags.add(FlagDefinition(key="clocked"))
        uow.environments.put_setting(FlagSetting(flag_key="clocked", environment="production", killed=True))
        uow.overrides.put_many(OverrideScope.CUSTOMER, "clocked", "production", {"c-1": True}, reason="")
        uow.rollouts.add(RolloutRecord(feature_name=FLAG, environment="production"))
        uow.audit.record(AuditEntry(action="flag.create", scope="flag", feature_name="clocked"))
        uow.commit()

    # Then each row carries the one moment the unit of work read, aware UTC, on either database
    assert reads == [start]
    with uow_factory(actor="alice", read_only=True) as uow:
        flag = uow.flags.get("clocked")
        assert flag is not None
        assert flag.created_at == flag.updated_at == start
        rollout = uow.rollouts.get(FLAG, "production")
        assert rollout is not None
        assert rollout.created_at == rollout.updated_at == start
        overrides = CustomerFeatureFlag.__table__
        assert list(uow.connection.execute(select(overrides.c.created_at, overrides.c.updated_at))) == [
            (start, start)
        ]
        assert [entry.changed_at for entry in uow.audit.chain() if entry.actor == "alice"] == [start]
