"""Two real servers on one PostgreSQL database: a write on one is served by the other quickly, by
LISTEN/NOTIFY, and within the one-second poll when the listener is off or its connection killed.

The CI test measures 20 writes per path with bounds a loaded machine keeps; the 200-write
measurement with p50/p99 is `bench/bench_propagation.py`.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import psycopg
import pytest

from flagpilot.storage import libpq_url
from tests.databases import create_database, drop_database, unique_name
from tests.e2e.propagation import percentile, propagation_seconds
from tests.e2e.server import ServerProcess, running_server

pytestmark = pytest.mark.postgres

WRITES = 12


@pytest.fixture(scope="module")
def database(postgres_server_url: str) -> Iterator[str]:
    """The URL of a scratch database of its own."""
    name = unique_name("flagpilot_e2e")
    try:
        yield create_database(postgres_server_url, name)
    finally:
        drop_database(postgres_server_url, name)


@pytest.fixture(scope="module")
def servers(database: str) -> Iterator[tuple[ServerProcess, ServerProcess, ServerProcess]]:
    """A writer, a reader that listens and one that does not (`FLAGPILOT_LISTEN=false`)."""
    url = database
    with ExitStack() as stack:
        writer = stack.enter_context(running_server({"FLAGPILOT_DATABASE_URL": url}, setup=[["init"]]))
        listening, polling = (
            stack.enter_context(running_server({"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_LISTEN": on}))
            for on in ("true", "false")
        )
        yield writer, listening, polling


def _listen_healthy(server: ServerProcess) -> float | None:
    match = re.search(r"^flagpilot_listen_healthy (\S+)$", httpx.get(server.url("/metrics")).text, re.M)
    return None if match is None else float(match.group(1))


def _eventually(check: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_writes__reach_a_listening_server_fast_and_a_polling_one_within_the_poll(
    servers: tuple[ServerProcess, ServerProcess, ServerProcess],
) -> None:
    # Given
    writer, listening, polling = servers
    _eventually(lambda: _listen_healthy(listening) == 1.0)
    assert _listen_healthy(polling) is None  # no listener, nothing to judge

    # When
    by_notify, by_poll = propagation_seconds(writer, [listening, polling], WRITES)

    # Then
    for label, timings in (("with NOTIFY", by_notify), ("listener off", by_poll)):
        p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
        print(f"\n{label}: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms over {WRITES} writes")
    # Bounds a saturated machine keeps; a write that waited for the 5-minute TTL would break them.
    assert statistics.median(by_notify) < statistics.median(by_poll)
    assert max(by_poll) < 6.0


def test_listener_killed__reconnects_healthy_and_writes_still_arrive(
    servers: tuple[ServerProcess, ServerProcess, ServerProcess], database: str
) -> None:
    writer, listening, _ = servers
    _eventually(lambda: _listen_healthy(listening) == 1.0)

    # When: the database server kills the LISTEN connections
    with psycopg.connect(libpq_url(database), autocommit=True) as connection:
        killed = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'flagpilot-listen'"
        ).fetchone()
    assert killed is not None
    assert killed[0] == 2  # the writer's and the listening reader's

    # Then: writes still arrive within the poll's bound, and the listener comes back healthy
    (timings,) = propagation_seconds(writer, [listening], 3)
    assert max(timings) < 6.0
    _eventually(lambda: _listen_healthy(listening) == 1.0, seconds=40.0)
