"""A write that PostgreSQL aborts to break a real deadlock is run again and succeeds.

A hand-written SQL session locks an override row, the service's write takes the state-version
lock and waits for that row, and the session then asks for the state-version lock: a deadlock.
PostgreSQL looks for a deadlock once per wait, after `deadlock_timeout`: the service's sessions
look after 5 s (time enough for the cycle to close on a loaded machine) and the hand-written one
after 60 s, so PostgreSQL aborts the service's transaction (SQLSTATE 40P01); the service runs
its unit of work again and the change is written once, audited once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text

from flagpilot.services.errors import WriteContention
from flagpilot.services.flags import FlagManager
from flagpilot.services.stored_records import OverrideScope

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])

FLAG = "checkout"


def _deadlocks(engine: Engine) -> int:
    with engine.connect() as connection:
        count: int = connection.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()
        return count


def _wait_for_lock_waiters(engine: Engine, at_least: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting >= at_least:
                return
            connection.rollback()
            time.sleep(0.02)
    pytest.fail(f"fewer than {at_least} sessions waited for a lock within {seconds} s")


def _look_for_deadlocks_after(engine: Engine, delay: str) -> None:
    """Every new connection of `engine` waits `delay` before it looks for a deadlock."""

    @event.listens_for(engine, "connect")
    def _set(dbapi_connection: Any, _record: object) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET deadlock_timeout = '{delay}'")
        dbapi_connection.commit()

    engine.dispose()  # the pooled connections are replaced by ones with the setting


def _hand_written_session(engine: Engine) -> Connection:
    """A session holding the override row's lock, in no hurry to look for deadlocks."""
    connection = engine.connect()
    connection.execute(text("SET LOCAL deadlock_timeout = '60s'"))
    connection.execute(
        text(
            "SELECT 1 FROM customer_feature_flags WHERE customer_id = 'c-1' AND feature_name = :f FOR UPDATE"
        ),
        {"f": FLAG},
    )
    return connection


def test_write_contention__the_deadlock_victim_is_run_again_and_the_write_succeeds(
    engine: Engine, manager: FlagManager
) -> None:
    manager.set_override(FLAG, "production", OverrideScope.CUSTOMER, "c-1", True, actor="setup")
    _look_for_deadlocks_after(engine, "5s")
    before = _deadlocks(engine)
    session = _hand_written_session(engine)
    try:
        with ThreadPoolExecutor(1) as pool:
            write: Future[object] = pool.submit(
                manager.set_override, FLAG, "production", OverrideScope.CUSTOMER, "c-1", False, actor="writer"
            )
            _wait_for_lock_waiters(engine, 1)  # the service holds state_version and waits for the row
            # Now the session closes the cycle; PostgreSQL aborts the service's transaction.
            session.execute(text("SELECT version FROM state_version WHERE id = 1 FOR UPDATE"))
            session.commit()
            stored = write.result(timeout=60)
    finally:
        session.close()

    assert _deadlocks(engine) > before
    assert getattr(stored, "value", None) is False
    with engine.connect() as connection:
        audited = connection.execute(
            text("SELECT count(*) FROM feature_flag_changes WHERE actor = 'writer'")
        ).scalar_one()
    assert audited == 1


def test_write_contention__a_write_never_repeated_after_its_commit(
    engine: Engine, manager: FlagManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A unit of work that committed is final: a later abort in the same call is reported, not retried.
    from flagpilot.services import contention

    calls = threading.local()
    calls.count = 0

    @contention.retry_on_contention
    def commits_then_is_aborted() -> None:
        calls.count += 1
        manager.set_override(FLAG, "production", OverrideScope.CUSTOMER, "c-2", True, actor="twice")
        raise WriteContention("aborted after the first unit of work committed")

    monkeypatch.setattr(contention, "PAUSE_SECONDS", 0.0)
    with pytest.raises(WriteContention):
        commits_then_is_aborted()

    assert calls.count == 1
