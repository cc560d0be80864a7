"""Concurrent writers against two real servers on one PostgreSQL database.

Twenty simultaneous advances of one rollout — forced or not, naming their origin by tier or by
version — make exactly one transition; the rest are 409 (an advance that names no origin, 422).
Two servers writing the same flag at once leave versions that only ever grow and an audit chain
that verifies.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.databases import create_database, drop_database, unique_name
from tests.e2e.load import assert_counted
from tests.e2e.server import ServerProcess, running_server

pytestmark = pytest.mark.postgres

FLAG = "phase2_enhanced_storage"
CONCURRENT = 20


@pytest.fixture(scope="module")
def servers(postgres_server_url: str) -> Iterator[list[ServerProcess]]:
    name = unique_name("flagpilot_concurrency")
    url = create_database(postgres_server_url, name)
    try:
        with ExitStack() as stack:
            yield [
                stack.enter_context(running_server({"FLAGPILOT_DATABASE_URL": url}, setup=[["init"]]))
                for _ in range(2)
            ]
    finally:
        drop_database(postgres_server_url, name)


def _auth(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_token}"}


def _burst(requests: list[tuple[ServerProcess, str, dict[str, Any]]]) -> list[httpx.Response]:
    def send(request: tuple[ServerProcess, str, dict[str, Any]]) -> httpx.Response:
        server, path, body = request
        return httpx.post(server.url(path), json=body, headers=_auth(server), timeout=60)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def _once_its_gates_open(server: ServerProcess, flag: str, seconds: float = 30.0) -> dict[str, Any]:
    """`flag`'s rollout once an advance would meet no closed gate: its counted event is stored
    by the next flush (every second)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = httpx.get(server.url(f"/api/admin/rollout/{flag}"), headers=_auth(server))
        shown: dict[str, Any] = answer.json()
        if not shown["closedGates"]:
            return shown
        assert time.monotonic() < deadline, shown["closedGates"]
        time.sleep(0.05)


def _rollout(server: ServerProcess) -> dict[str, Any]:
    answer = httpx.get(server.url(f"/api/admin/rollout/{FLAG}"), headers=_auth(server), timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("origin", ["fromTier", "version", "mixed"])
def test_twenty_concurrent_forced_advances__make_exactly_one_transition(
    servers: list[ServerProcess], origin: str
) -> None:
    # Given: an active rollout at tier 1
    first = servers[0]
    httpx.post(
        first.url("/api/admin/rollout/rollback"),
        json={"featureName": FLAG, "reason": "reset"},
        headers=_auth(first),
    )
    httpx.post(first.url("/api/admin/rollout/restart"), json={"featureName": FLAG}, headers=_auth(first))
    created = httpx.post(first.url("/api/admin/rollout"), json={"featureName": FLAG}, headers=_auth(first))
    assert created.status_code in (201, 409), created.text
    started = httpx.post(
        first.url("/api/admin/rollout/start"), json={"featureName": FLAG}, headers=_auth(first)
    )
    assert started.status_code == 200, started.text
    seen = _rollout(first)
    assert seen["currentTier"] == "tier_1_internal"
    names = {"fromTier": {"fromTier": seen["currentTier"]}, "version": {"version": seen["version"]}}

    # When: twenty copies of "advance it", on both servers at once
    def body(index: int) -> dict[str, Any]:
        named = names[origin] if origin != "mixed" else list(names.values())[index % 2]
        return {"featureName": FLAG, "force": True, "reason": f"burst {origin}", **named}

    answers = _burst([(servers[i % 2], "/api/admin/rollout/advance", body(i)) for i in range(CONCURRENT)])

    # Then: one moved it, one tier; the others were told it had moved
    assert Counter(a.status_code for a in answers) == {200: 1, 409: CONCURRENT - 1}, [a.text for a in answers]
    after = _rollout(servers[1])
    assert after["currentTier"] == "tier_2_early_adopters"
    advanced = [
        e for e in after["events"] if e["eventType"] == "advanced" and e["reason"] == f"burst {origin}"
    ]
    assert len(advanced) == 1


@pytest.mark.parametrize("origin", ["fromTier", "version"])
def test_twenty_concurrent_advances_without_force__make_exactly_one_transition(
    servers: list[ServerProcess], origin: str
) -> None:
    # Given: an active rollout at tier 1 whose gates are open (no dwell, its one event counted)
    first, flag = servers[0], "phase3_analytics"
    reset = {"featureName": flag, "reason": "reset"}
    httpx.post(first.url("/api/admin/rollout/rollback"), json=reset, headers=_auth(first))
    httpx.post(first.url("/api/admin/rollout/restart"), json={"featureName": flag}, headers=_auth(first))
    created = httpx.post(
        first.url("/api/admin/rollout"),
        json={"featureName": flag, "minDwellSeconds": 0, "minEvents": 1},
        headers=_auth(first),
    )
    assert created.status_code in (201, 409), created.text
    started = httpx.post(
        first.url("/api/admin/rollout/start"), json={"featureName": flag}, headers=_auth(first)
    )
    assert started.status_code == 200, started.text
    assert_counted(first, first.issue("server-sdk"), flag, "YOUR_INTERNAL_CUSTOMER_ID")
    seen = _once_its_gates_open(first, flag)
    named = {"fromTier": seen["currentTier"]} if origin == "fromTier" else {"version": seen["version"]}

    # When: twenty unforced advances, on both servers at once
    body = {"featureName": flag, "reason": f"unforced {origin}", **named}
    answers = _burst([(servers[i % 2], "/api/admin/rollout/advance", body) for i in range(CONCURRENT)])

    # Then: exactly one moved it, by one tier
    assert Counter(a.status_code for a in answers) == {200: 1, 409: CONCURRENT - 1}, [a.text for a in answers]
    after = httpx.get(servers[1].url(f"/api/admin/rollout/{flag}"), headers=_auth(servers[1])).json()
    assert after["currentTier"] == "tier_2_early_adopters"


def test_concurrent_advances_naming_no_origin__are_refused_and_move_nothing(
    servers: list[ServerProcess],
) -> None:
    before = _rollout(servers[0])
    body = {"featureName": FLAG, "force": True, "reason": "unnamed"}
    answers = _burst([(servers[i % 2], "/api/admin/rollout/advance", body) for i in range(CONCURRENT)])
    assert {a.status_code for a in answers} == {422}
    assert _rollout(servers[1])["version"] == before["version"]


def test_two_servers_writing_one_flag__versions_only_grow_and_the_audit_chain_verifies(
    servers: list[ServerProcess],
) -> None:
    def write(index: int) -> dict[str, Any]:
        return {"featureName": "phase1_auto_restore", "enabled": index % 2 == 0, "reason": f"writer {index}"}

    answers = _burst([(servers[i % 2], "/api/admin/feature-flags", write(i)) for i in range(CONCURRENT)])
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers if a.status_code != 200]
    versions = [a.json()["version"] for a in answers]
    assert len(set(versions)) == CONCURRENT  # every write got its own version

    audit = httpx.get(
        servers[0].url("/api/admin/audit"),
        params={"flag": "phase1_auto_restore", "limit": 1000},
        headers=_auth(servers[0]),
    ).json()["items"]
    ids = [item["id"] for item in audit]
    assert ids == sorted(ids, reverse=True)
    assert len([i for i in audit if str(i.get("reason", "")).startswith("writer ")]) == CONCURRENT
    verified = httpx.get(servers[1].url("/api/admin/audit/verify"), headers=_auth(servers[1])).json()
    assert verified["ok"] is True, verified
