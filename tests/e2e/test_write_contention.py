"""A real server whose write PostgreSQL aborts to break a deadlock still answers 200.

A hand-written SQL session locks a customer override row; the server's write for that customer
takes the state-version lock and waits for the row; the session then asks for the state-version
lock, closing the cycle. The server's sessions look for deadlocks after 5 s (`PGOPTIONS`), the
hand-written one after 60 s, so PostgreSQL aborts the server's transaction; the server runs the
unit of work again, and the client sees one successful write, audited once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from flagpilot.storage import libpq_url
from tests.databases import create_database, drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server

pytestmark = pytest.mark.postgres

FLAG = "phase2_enhanced_storage"
CUSTOMER = "cust-contended"


@pytest.fixture(scope="module")
def database(postgres_server_url: str) -> Iterator[str]:
    name = unique_name("flagpilot_contention")
    yield create_database(postgres_server_url, name)
    drop_database(postgres_server_url, name)


@pytest.fixture(scope="module")
def server(database: str) -> Iterator[ServerProcess]:
    environ = {"FLAGPILOT_DATABASE_URL": database, "PGOPTIONS": "-c deadlock_timeout=5s"}
    with running_server(environ, setup=[["init"]]) as running:
        yield running


def _set(server: ServerProcess, enabled: bool, reason: str) -> httpx.Response:
    return httpx.post(
        server.url("/api/admin/feature-flags"),
        json={"featureName": FLAG, "customerId": CUSTOMER, "enabled": enabled, "reason": reason},
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=120,
    )


def _wait_for_a_lock_waiter(observer: psycopg.Connection, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
        if row is not None and row[0] >= 1:
            return
        time.sleep(0.02)
    pytest.fail(f"the server's write did not wait for the locked row within {seconds} s")


def _deadlocks(observer: psycopg.Connection) -> int:
    row = observer.execute(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_write_contention__a_deadlocked_admin_write_is_retried_and_answers_200(
    server: ServerProcess, database: str
) -> None:
    assert _set(server, True, "before").status_code == 200
    with (
        psycopg.connect(libpq_url(database), autocommit=True) as observer,
        psycopg.connect(libpq_url(database)) as session,
        ThreadPoolExecutor(1) as pool,
    ):
        before = _deadlocks(observer)
        session.execute("SET LOCAL deadlock_timeout = '60s'")
        session.execute(
            "SELECT 1 FROM customer_feature_flags WHERE customer_id = %s AND feature_name = %s FOR UPDATE",
            (CUSTOMER, FLAG),
        )
        answer = pool.submit(_set, server, False, "contended")
        _wait_for_a_lock_waiter(observer)
        session.execute("SELECT version FROM state_version WHERE id = 1 FOR UPDATE")
        session.commit()
        response = answer.result(timeout=120)
        deadlocks = _deadlocks(observer) - before
        audited = observer.execute(
            "SELECT count(*) FROM feature_flag_changes WHERE reason = 'contended'"
        ).fetchone()

    assert deadlocks >= 1
    assert response.status_code == 200, response.text
    assert audited == (1,)
    listed = httpx.get(
        server.url(f"/api/admin/flags/{FLAG}/overrides"),
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    ).json()
    assert [item["value"] for item in listed["items"] if item["subjectId"] == CUSTOMER] == [False]
