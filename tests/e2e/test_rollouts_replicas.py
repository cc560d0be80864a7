"""Two real servers on one PostgreSQL database: one runs the checker, the rollback happens once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.databases import create_database, drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server
from tests.e2e.test_rollouts import FLAG, STAFF, _eventually

pytestmark = pytest.mark.postgres

LEADER_LINE = "now runs the rollback checker"


@pytest.fixture(scope="module")
def replicas(postgres_server_url: str) -> Iterator[list[ServerProcess]]:
    name = unique_name("flagpilot_e2e")
    url = create_database(postgres_server_url, name)
    environ = {"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_ROLLBACK_CHECK_SECONDS": "0.3"}
    try:
        with ExitStack() as stack:
            yield [stack.enter_context(running_server(environ, setup=[["init"]])) for _ in range(2)]
    finally:
        drop_database(postgres_server_url, name)


def _auth(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_token}"}


def test_two_replicas__one_leads_and_a_burst_on_the_other_is_rolled_back_once(
    replicas: list[ServerProcess],
) -> None:
    # Given: a started rollout, created through the first replica
    first, second = replicas
    body = {"featureName": FLAG, "whitelistedCustomers": [STAFF], "minEvents": 50}
    assert httpx.post(first.url("/api/admin/rollout"), json=body, headers=_auth(first)).status_code == 201
    start = {"featureName": FLAG}
    started = httpx.post(first.url("/api/admin/rollout/start"), json=start, headers=_auth(first))
    assert (started.status_code, started.json()["status"]) == (200, "active")
    key = second.issue("server-sdk")

    # When: errors are reported to the second replica
    def report() -> bool:
        events = [{"featureName": FLAG, "customerId": STAFF, "outcome": "error", "count": 200}]
        answer = httpx.post(
            second.url("/api/events"), json=events, headers={"Authorization": f"Bearer {key}"}
        )
        return bool(answer.json()["accepted"])

    assert _eventually(report)

    # Then: rolled back, by exactly one checker, in exactly one leader
    def status() -> str:
        shown = httpx.get(second.url(f"/api/admin/rollout/{FLAG}"), headers=_auth(second)).json()
        return str(shown["status"])

    assert _eventually(lambda: status() == "rolled_back")
    shown = httpx.get(first.url(f"/api/admin/rollout/{FLAG}"), headers=_auth(first)).json()
    automatic = [e for e in shown["events"] if e["actor"] == "flagpilot-autorollback"]
    assert len(automatic) == 1
    leaders = [server for server in replicas if LEADER_LINE in server.log()]
    assert len(leaders) == 1
    alerts = [httpx.get(s.url("/api/admin/alerts"), headers=_auth(s)).json() for s in replicas]
    assert sorted(len(found) for found in alerts) == [0, 1]
