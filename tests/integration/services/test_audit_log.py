"""The audit trail is queryable and tamper-evident: verify names the first altered row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from flagpilot.services.audit import AuditLog
from flagpilot.services.flags import FlagManager
from flagpilot.storage import build_engine


def test_query__by_flag_actor_and_time__filters_and_pages_newest_first(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    start = datetime.now(UTC) - timedelta(seconds=1)
    for value in ("a", "b", "c"):
        manager.set_value("banner", "staging", value, actor="alice")
    manager.kill("checkout", "staging", actor="bob")

    # When
    first = audit_log.query(feature_name="banner", actor="alice", since=start, limit=2)
    second = audit_log.query(
        feature_name="banner", actor="alice", since=start, before_id=first[-1].id, limit=2
    )
    future = audit_log.query(since=datetime.now(UTC) + timedelta(hours=1))

    # Then
    values = [r.after_value for r in first + second]
    assert values == [
        '{"killed":false,"value":"c"}',
        '{"killed":false,"value":"b"}',
        '{"killed":false,"value":"a"}',
    ]
    assert future == []


def test_verify__untouched_trail__is_ok(manager: FlagManager, audit_log: AuditLog) -> None:
    manager.kill("checkout", "production", actor="oncall")

    report = audit_log.verify()

    assert report.ok
    assert report.checked == len(audit_log.query(limit=1000))


def test_verify__after_a_row_is_altered_by_raw_sql__names_that_row(
    database_url: str, manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    manager.kill("checkout", "production", actor="oncall", reason="incident")
    manager.unkill("checkout", "production", actor="oncall", reason="fixed")
    target = audit_log.query(actor="oncall")[-1].id
    engine = build_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE feature_flag_changes SET actor = 'someone-else' WHERE id = :id"), {"id": target}
        )
    engine.dispose()

    # When
    report = audit_log.verify()

    # Then
    assert not report.ok
    assert report.broken_id == target
    assert "altered" in (report.problem or "")


def test_verify__after_a_row_is_deleted__names_the_row_after_the_gap(
    database_url: str, manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    for value in ("a", "b", "c"):
        manager.set_value("banner", "staging", value, actor="alice")
    middle, last = sorted(r.id for r in audit_log.query(actor="alice"))[1:]
    engine = build_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM feature_flag_changes WHERE id = :id"), {"id": middle})
    engine.dispose()

    # When
    report = audit_log.verify()

    # Then
    assert report.broken_id == last
    assert "prev_hash" in (report.problem or "")


def test_verify__seals_rows_written_by_triggers_then_holds(
    database_url: str, manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    engine = build_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE flags SET description = 'by hand' WHERE key = 'checkout'"))
    engine.dispose()

    # When
    report = audit_log.verify()

    # Then
    assert report.ok
    assert report.sealed == 1
    assert audit_log.query(actor="database")[0].hash is not None
