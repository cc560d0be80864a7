"""What replicas share through the database: alert acknowledgements and evaluation counts.

Each test opens a second engine on the same database, as a second server process would, so
what one "replica" writes is read back by another that shares no memory with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from flagpilot.services.audit import AuditLog
from flagpilot.services.evaluations import EvaluationLog
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from flagpilot.storage.shared_state import SqlAcknowledgements, SqlEvaluationStore

ALERT = "production/checkout/v7/rollout.auto_rollback"
NOW = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def other_engine(database_url: str) -> Iterator[Engine]:
    """A second engine on the same database: another replica, or the same one after a restart."""
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


def test_acknowledgement__is_seen_by_another_replica_and_audited_under_the_user(
    engine: Engine, other_engine: Engine
) -> None:
    # Given an alert acknowledged on one replica
    first = SqlAcknowledgements(SqlUnitOfWorkFactory(engine))
    first.add(ALERT, "user:alice", feature_name="checkout", environment="production")

    # When another replica reads it, and someone acknowledges it again there
    second = SqlAcknowledgements(SqlUnitOfWorkFactory(other_engine))
    second.add(ALERT, "user:bob")
    seen = second.of([ALERT, "production/other/v1/rollout.auto_pause"])

    # Then the first acknowledgement is the one kept, and one audit row names its user
    assert list(seen) == [ALERT]
    assert seen[ALERT].actor == "user:alice"
    rows = [row for row in AuditLog(SqlUnitOfWorkFactory(engine)).query(limit=20) if row.scope == "alert"]
    assert [(row.actor, row.action, row.subject_id, row.feature_name) for row in rows] == [
        ("user:alice", "alert.acknowledge", ALERT, "checkout")
    ]
    assert AuditLog(SqlUnitOfWorkFactory(engine)).verify().ok


def test_evaluations__of_two_replicas__add_up_and_keep_the_latest_time(
    engine: Engine, other_engine: Engine
) -> None:
    # Given two replicas that counted evaluations and flushed them at different times
    first = EvaluationLog(SqlEvaluationStore(engine), clock=lambda: NOW)
    second = EvaluationLog(SqlEvaluationStore(other_engine), clock=lambda: NOW - timedelta(hours=1))
    first.counter.count("production", ["checkout", "banner"])
    first.counter.count("production", ["checkout"])
    second.counter.count("production", ["checkout"])
    second.counter.count("staging", ["banner"])

    # When both flush (the older flush last)
    assert first.flush() == 2
    assert second.flush() == 2

    # Then the counts add up and a late flush of an older time never moves a time back
    store = SqlEvaluationStore(engine)
    assert store.last_evaluated() == {
        ("checkout", "production"): NOW,
        ("banner", "production"): NOW,
        ("banner", "staging"): NOW - timedelta(hours=1),
    }
    assert first.flush() == 0


def test_evaluation_log__counts_not_flushed_yet__already_count_as_evaluated(engine: Engine) -> None:
    log = EvaluationLog(SqlEvaluationStore(engine), clock=lambda: NOW)
    log.counter.count("development", ["checkout"])

    assert log.last_evaluated() == {("checkout", "development"): NOW}
    assert SqlEvaluationStore(engine).last_evaluated() == {}


def test_audit_query__finds_the_acknowledgement_by_actor(engine: Engine) -> None:
    SqlAcknowledgements(SqlUnitOfWorkFactory(engine)).add(ALERT, "user:carol")

    found = AuditLog(SqlUnitOfWorkFactory(engine)).query(actor="user:carol")

    assert [row.action for row in found] == ["alert.acknowledge"]
