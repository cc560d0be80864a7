"""A database outage under load: a real server keeps serving from memory and fails writes fast.

The server runs on a PostgreSQL cluster of this module's own (`private_postgres`), which is
stopped (`pg_ctl stop -m immediate`: connections refused) or frozen (SIGSTOP of every server
process: connections stay open and nothing answers) for `FLAGPILOT_TEST_OUTAGE_SECONDS`
(30 by default) while real HTTP clients keep asking for the widget config and OFREP bulk
evaluations, post outcome events, probe `/healthz` and `/readyz`, and write through the admin API.

What must hold, for both forms:
- every evaluation is answered 200 from the last good snapshot, known tokens included;
- `/healthz` never waits on the database (< 100 ms), `/readyz` answers within a second and says
  the database is unreachable;
- an admin write during the outage fails within a few seconds with a 503 problem+json, and no
  write is half done: every stored override has its audit row and none answered 503 is stored;
- events are accepted during the outage and every accepted one is stored after it;
- after the outage a change made by hand in SQL reaches the server without a restart.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest

from tests.e2e.load import Traffic, assert_counted, traffic
from tests.e2e.private_postgres import PrivatePostgres, private_postgres
from tests.e2e.server import ServerProcess, running_server

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("database-outage")]

OUTAGE_SECONDS = float(os.environ.get("FLAGPILOT_TEST_OUTAGE_SECONDS", "30"))
WARM_UP_SECONDS = 1.0
DATABASE = "flagpilot"
FLAG = "phase2_enhanced_storage"
WRITE_FLAG = "phase1_parent_storage"
HEALTHZ_LIMIT_SECONDS = 0.1
NEVER_WAITS_SECONDS = 1.0
"""A saturated shared machine delays a probe by a few hundred milliseconds now and then; one that
waited on the database would wait its connect timeout (3 s) at least."""
READYZ_LIMIT_SECONDS = 1.0
WRITE_FAILS_WITHIN_SECONDS = 8.0
"""A ping of a pooled connection (3 s) and a new connection (3 s) at most, on a hung server."""
RECOVERY_SECONDS = 30.0
PROPAGATION_SECONDS = 5.0


@dataclass
class Setup:
    postgres: PrivatePostgres
    server: ServerProcess
    client_key: str
    server_key: str


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with private_postgres() as postgres:
        url = postgres.create_database(DATABASE)
        environ = {"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_ACCESS_LOG": "false"}
        with running_server(environ, setup=[["init"]]) as server:
            admin = {"Authorization": f"Bearer {server.admin_token}"}
            created = httpx.post(server.url("/api/admin/rollout"), json={"featureName": FLAG}, headers=admin)
            assert created.status_code in (201, 409), created.text
            started = httpx.post(
                server.url("/api/admin/rollout/start"), json={"featureName": FLAG}, headers=admin
            )
            assert started.status_code == 200, started.text
            client_key, server_key = server.issue("client-sdk"), server.issue("server-sdk")
            # Both keys are used before the outage, as a running SDK would have: known tokens.
            assert httpx.get(server.url("/api/widget/config"), params={"key": client_key}).status_code == 200
            bulk = httpx.post(
                server.url("/ofrep/v1/evaluate/flags"),
                json={"context": {"targetingKey": "customer-0"}},
                headers={"Authorization": f"Bearer {server_key}"},
            )
            assert bulk.status_code == 200, bulk.text
            _counted_and_stored(server, server_key, postgres)
            yield Setup(postgres, server, client_key, server_key)


def _counted_and_stored(
    server: ServerProcess, key: str, postgres: PrivatePostgres, seconds: float = 30.0
) -> None:
    """The started rollout counts a probe event, and the runtime has stored it, so the test's own
    counts start from a settled total."""
    assert_counted(server, key, FLAG, "customer-probe")
    deadline = time.monotonic() + seconds
    while _stored_events(postgres) == 0:
        assert time.monotonic() < deadline, "the probe event was never stored"
        time.sleep(0.1)


def _query(postgres: PrivatePostgres, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{postgres.port}/{DATABASE}", connect_timeout=5
    ) as connection:
        return connection.execute(sql).fetchall()  # type: ignore[arg-type]


def _column(postgres: PrivatePostgres, select: str) -> set[str]:
    return {str(row[0]) for row in _query(postgres, f"SELECT {select}")}


def _stored_events(postgres: PrivatePostgres) -> int:
    rows = _query(
        postgres,
        "SELECT coalesce(sum(m.successes + m.errors), 0) FROM rollout_metrics m "
        f"JOIN feature_rollouts r ON r.id = m.rollout_id WHERE r.feature_name = '{FLAG}'",
    )
    return int(rows[0][0])  # type: ignore[call-overload]


def _wait_ready(server: ServerProcess, seconds: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        try:
            if httpx.get(server.url("/readyz"), timeout=2).status_code == 200:
                return time.monotonic() - began
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server was not ready {seconds} s after the database came back")


def _outage(setup: Setup, form: str, prefix: str) -> tuple[Traffic, float, float]:
    postgres = setup.postgres
    keys = (setup.client_key, setup.server_key)
    with traffic(setup.server, *keys, flag=FLAG, write_flag=WRITE_FLAG, write_prefix=prefix) as load:
        time.sleep(WARM_UP_SECONDS)
        if form == "stopped":
            postgres.stop()
        else:
            postgres.freeze()
        broke = time.monotonic()
        load.writing.set()
        time.sleep(OUTAGE_SECONDS)
        load.writing.clear()
        resumed = time.monotonic()
        if form == "stopped":
            postgres.start()
        else:
            postgres.thaw()
        _wait_ready(setup.server, RECOVERY_SECONDS)
        time.sleep(1.0)
    return load, broke, resumed


@pytest.mark.parametrize("form", ["stopped", "hanging"])
def test_database_outage__evaluations_are_served_from_memory_and_writes_fail_fast(
    setup: Setup, form: str
) -> None:
    prefix = f"outage-{form}-"
    events_before = _stored_events(setup.postgres)

    load, broke, resumed = _outage(setup, form, prefix)

    # Every evaluation answered, from memory
    evaluations = load.evaluations
    assert evaluations.total > 0
    assert evaluations.statuses == {200: evaluations.total}, (evaluations.statuses, evaluations.examples)
    # Liveness never waits on the database; readiness answers quickly and says why
    assert load.healthz.statuses == {200: load.healthz.total}, load.healthz.examples
    assert load.healthz.percentile(0.5) < HEALTHZ_LIMIT_SECONDS, load.healthz.percentile(0.5)
    assert load.healthz.slowest < NEVER_WAITS_SECONDS, load.healthz.slowest
    assert load.readyz.slowest < READYZ_LIMIT_SECONDS, load.readyz.slowest
    during = [b for b in load.readyz_bodies if broke + 8 < b["at"] < resumed]
    assert during, "no readiness answer during the outage"
    assert all(b["status"] == 503 for b in during), [b for b in during if b["status"] != 503][:3]
    assert all(b["checks"]["database"]["detail"].startswith("unreachable") for b in during), during[-1]
    # Admin writes fail fast, as problems, and none is half done
    inside = [w for w in load.writes if w.began + w.seconds < resumed]
    assert inside, "no admin write finished during the outage"
    assert {w.status for w in inside} == {503}, [(w.status, w.body) for w in inside if w.status != 503]
    assert all(w.content_type.startswith("application/problem+json") for w in inside)
    slowest_write = max(w.seconds for w in inside)
    assert slowest_write < WRITE_FAILS_WITHIN_SECONDS, slowest_write
    overrides = _column(
        setup.postgres, f"customer_id FROM customer_feature_flags WHERE customer_id LIKE '{prefix}%'"
    )
    audited = _column(setup.postgres, f"subject_id FROM feature_flag_changes WHERE reason LIKE '{prefix}%'")
    assert overrides == audited
    assert not overrides & {f"{prefix}{w.number}" for w in inside}
    assert {f"{prefix}{w.number}" for w in load.writes if w.status == 200} <= overrides
    setup.server.run("audit", "verify")
    # Events were accepted throughout, and every accepted one is stored
    assert load.events.statuses == {202: load.events.total}, load.events.examples
    assert load.events_ignored == 0
    assert load.events_accepted == load.events_posted
    deadline = time.monotonic() + 10
    stored = _stored_events(setup.postgres) - events_before
    while stored < load.events_accepted and time.monotonic() < deadline:
        time.sleep(0.2)
        stored = _stored_events(setup.postgres) - events_before
    assert stored == load.events_accepted

    healthz, readyz = load.healthz, load.readyz
    print(
        f"\n{form}: {evaluations.total} evaluations, {evaluations.share(200):.0%} answered 200; "
        f"/healthz p50 {healthz.percentile(0.5) * 1000:.0f} ms, "
        f"p99 {healthz.percentile(0.99) * 1000:.0f} ms, "
        f"max {healthz.slowest * 1000:.0f} ms; /readyz max {readyz.slowest * 1000:.0f} ms; "
        f"{len(inside)} writes failed, slowest in {slowest_write:.2f} s; "
        f"events {load.events_accepted} accepted of {load.events_posted}, all stored"
    )


def test_after_an_outage__a_change_made_in_sql_reaches_the_server_without_a_restart(setup: Setup) -> None:
    # Given: the database went away and came back (the listener lost its connection)
    setup.postgres.stop()
    time.sleep(1)
    setup.postgres.start()
    _wait_ready(setup.server, RECOVERY_SECONDS)

    # When: an operator changes a flag by hand
    began = time.monotonic()
    setup.postgres.execute(
        DATABASE, "UPDATE flags SET description = 'changed by hand' WHERE key = 'phase3_analytics'"
    )
    target = int(_query(setup.postgres, "SELECT version FROM state_version WHERE id = 1")[0][0])  # type: ignore[call-overload]

    # Then: the running server serves it within seconds
    while True:
        served = httpx.get(setup.server.url("/readyz"), timeout=2).json()["snapshotVersion"]
        if served >= target:
            break
        assert time.monotonic() - began < PROPAGATION_SECONDS, f"version {target} not served, still {served}"
        time.sleep(0.05)
    print(f"\nchange after an outage served in {time.monotonic() - began:.2f} s")
