"""A rollout started through the API counts the very next event, on SQLite and PostgreSQL.

An admin write returns once the writer's process serves it, and the server's serving rollouts
(which outcome events count toward) are re-read inside that same refresh: an event posted the
moment `POST /api/admin/rollout/start` answers is counted, never answered "ignored". Each of the
preset's rollout flags is started in turn, so a server that re-read its rollouts on a timer
instead would have to be lucky six times over.

On PostgreSQL a second server on the same database counts the started rollout's events within
its propagation bound: it re-reads its rollouts in the refresh that serves the new version.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from flagpilot.presets import ROLLOUT_FLAGS
from tests.e2e.server import ServerProcess, running_server

PROPAGATION_BOUND_SECONDS = 6.0
"""What a saturated machine keeps for a write to reach another server (as tests/e2e/test_propagation)."""


@pytest.fixture
def servers(durable_database_url: str) -> Iterator[list[ServerProcess]]:
    """One server on SQLite; two on PostgreSQL, on the same database."""
    environ = {"FLAGPILOT_DATABASE_URL": durable_database_url, "FLAGPILOT_ACCESS_LOG": "false"}
    with ExitStack() as stack:
        started = [stack.enter_context(running_server(environ, setup=[["init"]]))]
        if durable_database_url.startswith("postgresql"):
            started.append(stack.enter_context(running_server(environ)))
        yield started


def _start(client: httpx.Client, server: ServerProcess, flag: str) -> None:
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    for path in ("/api/admin/rollout", "/api/admin/rollout/start"):
        answer = client.post(server.url(path), json={"featureName": flag}, headers=admin)
        assert answer.status_code in (200, 201), answer.text


def _report(client: httpx.Client, server: ServerProcess, key: str, flag: str) -> dict[str, int]:
    answer = client.post(
        server.url("/api/events"),
        json=[{"featureName": flag, "customerId": "customer-1", "outcome": "success"}],
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 202, answer.text
    counted: dict[str, int] = answer.json()
    return counted


def _seconds_until_counted(client: httpx.Client, server: ServerProcess, key: str, flag: str) -> float:
    began = time.monotonic()
    while _report(client, server, key, flag)["accepted"] != 1:
        waited = time.monotonic() - began
        assert waited < PROPAGATION_BOUND_SECONDS, f"{flag}'s events still ignored after {waited:.1f} s"
        time.sleep(0.01)
    return time.monotonic() - began


def test_started_rollout__an_event_posted_the_moment_the_start_returns__is_counted(
    servers: list[ServerProcess],
) -> None:
    writer, *others = servers
    key = writer.issue("server-sdk")  # tokens are stored: the other server knows it too
    for_others: list[float] = []
    with httpx.Client(timeout=30) as client:
        for flag in ROLLOUT_FLAGS:
            # Given: events for the flag are ignored while nothing rolls it out
            assert _report(client, writer, key, flag) == {"accepted": 0, "ignored": 1, "rejected": 0}

            # When
            _start(client, writer, flag)

            # Then: the writer counts the next event; another server, within its bound
            assert _report(client, writer, key, flag) == {"accepted": 1, "ignored": 0, "rejected": 0}
            for_others += [_seconds_until_counted(client, other, key, flag) for other in others]
    if for_others:
        print(f"\nanother server counted a started rollout after at most {max(for_others):.3f} s")
