"""What an acknowledged outcome event survives, on SQLite and PostgreSQL, with real server processes.

- A known number of events posted in batches, then `SIGTERM`: every one is stored (the last
  flush runs on shutdown).
- Events posted at once after a restart are counted, not answered "ignored": the server reads
  its serving rollouts before it takes its first request.
- `kill -9` while events pour in: at most the last flush interval's events are lost; the test
  prints how many and how much traffic that was.

One test per database, so that its three parts share two server starts.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.load import assert_counted
from tests.e2e.server import ServerProcess, running_server

FLAG = "phase2_enhanced_storage"
BATCH = 100
FLUSH_SECONDS = 1.0
KILL_MARGIN_SECONDS = 0.5
"""Beyond the flush interval: the last flush's own transaction, on a loaded machine."""


def _environ(url: str) -> dict[str, str]:
    return {"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_ACCESS_LOG": "false"}


def _stored(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            total = connection.execute(
                text(
                    "SELECT coalesce(sum(m.successes + m.errors), 0) FROM rollout_metrics m "
                    "JOIN feature_rollouts r ON r.id = m.rollout_id WHERE r.feature_name = :flag"
                ),
                {"flag": FLAG},
            ).scalar_one()
    finally:
        engine.dispose()
    return int(total)


def _batch(n: int) -> list[dict[str, Any]]:
    return [
        {"featureName": FLAG, "customerId": f"customer-{(n * BATCH + i) % 1000}", "outcome": "success"}
        for i in range(BATCH)
    ]


def _post(client: httpx.Client, server: ServerProcess, key: str, n: int) -> dict[str, int]:
    answer = client.post(
        server.url("/api/events"), json=_batch(n), headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 202, answer.text
    counted: dict[str, int] = answer.json()
    return counted


def _start_rollout(server: ServerProcess) -> str:
    """Start a rollout of FLAG; a server-SDK key, which outlives the server."""
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    for path in ("/api/admin/rollout", "/api/admin/rollout/start"):
        answer = httpx.post(server.url(path), json={"featureName": FLAG}, headers=admin)
        assert answer.status_code in (200, 201), answer.text
    return server.issue("server-sdk")


def _counting(server: ServerProcess, key: str) -> int:
    """FLAG's started rollout counts an event posted at once; the events it took."""
    assert_counted(server, key, FLAG)
    return 1


def _pour(
    server: ServerProcess, key: str, acknowledged: list[tuple[float, int]], stop: threading.Event
) -> None:
    """Post batches until stopped or the server is gone, noting when each was acknowledged."""
    with httpx.Client(timeout=30) as client:
        n = 0
        while not stop.is_set():
            try:
                counted = _post(client, server, key, n)
            except httpx.TransportError:
                return  # killed
            acknowledged.append((time.monotonic(), counted["accepted"]))
            n += 1


def test_outcome_events__sigterm_flushes_all__a_restart_counts_at_once__kill_9_loses_one_interval(
    durable_database_url: str,
) -> None:
    url = durable_database_url
    # SIGTERM: a known number posted, then an orderly stop at once (most are still in memory)
    with running_server(_environ(url), setup=[["init"]]) as server, httpx.Client(timeout=30) as client:
        key = _start_rollout(server)
        probe = _counting(server, key)
        accepted = sum(_post(client, server, key, n)["accepted"] for n in range(50))
        assert server.stop(signal.SIGTERM) < 10
        assert server.process.returncode in (0, -signal.SIGTERM), server.log()  # not killed
    assert accepted == 50 * BATCH
    accepted += probe
    assert _stored(url) == accepted

    acknowledged: list[tuple[float, int]] = []  # (when, how many), in order
    stop = threading.Event()
    with running_server(_environ(url)) as server:
        # A restart: events posted at once are counted, none "ignored"
        with httpx.Client(timeout=30) as client:
            began = time.monotonic()
            first_second: list[dict[str, int]] = []
            while time.monotonic() - began < 1.0:
                first_second.append(_post(client, server, key, len(first_second)))
                acknowledged.append((time.monotonic(), first_second[-1]["accepted"]))
        assert sum(a["ignored"] for a in first_second) == 0
        assert sum(a["accepted"] for a in first_second) == len(first_second) * BATCH
        # kill -9 while events pour in, at a moment that falls anywhere between two flushes
        poster = threading.Thread(target=_pour, args=(server, key, acknowledged, stop), daemon=True)
        poster.start()
        time.sleep(1.3 + random.random())
        server.process.kill()
        killed = time.monotonic()
        server.process.wait()
        stop.set()
        poster.join(30)

    total = sum(count for _, count in acknowledged)
    lost = total - (_stored(url) - accepted)
    window = [count for at, count in acknowledged if at > killed - FLUSH_SECONDS - KILL_MARGIN_SECONDS]
    rate = total / max(acknowledged[-1][0] - acknowledged[0][0], 1e-3)
    assert 0 <= lost <= sum(window), (lost, sum(window), total)
    print(f"\nkill -9: {lost} of {total} acknowledged events lost ({lost / rate:.2f} s at {rate:.0f}/s)")
