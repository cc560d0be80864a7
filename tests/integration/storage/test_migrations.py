"""The packaged migrations build the schema from nothing and take it all down again, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.pool import NullPool

from flagpilot.storage import build_engine, migrate
from flagpilot.storage.engine import sqlite_file

SEED_TABLES = {
    "customer_feature_flags",
    "feature_flag_changes",
    "feature_rollouts",
    "organization_feature_flags",
    "rollout_events",
}


@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = build_engine(empty_database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_then_downgrade__from_empty__builds_and_removes_everything(empty_engine: Engine) -> None:
    # When
    migrate.upgrade(empty_engine)
    built = _tables(empty_engine)
    revision = migrate.current_revision(empty_engine)
    migrate.downgrade(empty_engine, "base")

    # Then
    assert built >= SEED_TABLES
    assert {t for t in built if "feature" in t} == SEED_TABLES - {"rollout_events"}
    assert revision == migrate.head_revision()
    assert _tables(empty_engine) == set()
    assert migrate.current_revision(empty_engine) is None


def test_revisions__step_up_and_down_one_at_a_time__each_step_applies(empty_engine: Engine) -> None:
    # Given
    revisions = migrate.revisions()
    assert revisions[0] == "0001_schema"

    # When / Then
    for revision in revisions:
        migrate.upgrade(empty_engine, revision)
        assert migrate.current_revision(empty_engine) == revision
    for expected in [*reversed(revisions[:-1]), None]:
        migrate.downgrade(empty_engine, "-1")
        assert migrate.current_revision(empty_engine) == expected
    assert _tables(empty_engine) == set()


def test_upgrade__seeds_the_single_state_version_row(engine: Engine) -> None:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, version FROM state_version")).all()

    assert [tuple(row) for row in rows] == [(1, 0)]


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_checklist_queries__on_postgresql__list_tables_policies_and_indexes(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = connection.execute(
            text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name LIKE '%feature%' ORDER BY table_name"
            )
        ).scalars()
        policies = connection.execute(
            text("SELECT tablename, policyname FROM pg_policies WHERE tablename LIKE '%feature%'")
        ).all()
        indexes = connection.execute(
            text("SELECT tablename, indexname FROM pg_indexes WHERE tablename LIKE '%feature%'")
        ).all()

        assert list(tables) == sorted(SEED_TABLES - {"rollout_events"})
        assert {table for table, _ in policies} == SEED_TABLES - {"rollout_events"}
        assert ("customer_feature_flags", "ix_customer_feature_flags_organization_id") in {
            tuple(row) for row in indexes
        }


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_schema__on_postgresql__has_table_and_column_comments(engine: Engine) -> None:
    with engine.connect() as connection:
        uncommented_tables = connection.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'alembic_version' "
                "AND obj_description(c.oid, 'pg_class') IS NULL"
            )
        ).scalars()
        uncommented_columns = connection.execute(
            text(
                "SELECT c.relname || '.' || a.attname FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'alembic_version' "
                "AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL"
            )
        ).scalars()

        assert list(uncommented_tables) == []
        assert list(uncommented_columns) == []


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_downgrade__on_postgresql__keeps_the_cluster_wide_tenant_role(empty_engine: Engine) -> None:
    # Given
    migrate.upgrade(empty_engine)

    # When
    migrate.downgrade(empty_engine, "base")

    # Then
    with empty_engine.connect() as connection:
        role = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'flagpilot_tenant'")).scalar()
        policies = connection.execute(text("SELECT count(*) FROM pg_policies")).scalar()
    assert role == 1
    assert policies == 0


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///flagpilot.db", "flagpilot.db"),
        ("sqlite:////var/lib/flagpilot/flagpilot.db", "/var/lib/flagpilot/flagpilot.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file::memory:?cache=shared", None),
        ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_sqlite_file__names_the_file_of_an_on_disk_database_only(url: str, file: str | None) -> None:
    assert sqlite_file(url) == file


def test_check_schema__of_a_missing_sqlite_file__is_refused_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    engine = build_engine(f"sqlite:///{missing}")
    try:
        with pytest.raises(migrate.DatabaseNotReady, match="flagpilot init"):
            migrate.check_schema(engine)
    finally:
        engine.dispose()

    assert not missing.exists()
