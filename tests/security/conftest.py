"""One real server for the attack-class tests, with tokens of every kind and two tenants.

Organization `org-a` and `org-b` each get an editor and a viewer confined to them, and an
override for a customer of their own, so that each test can try to reach across.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess, running_server


@dataclass
class Tenancy:
    """The server, its database file and the tokens the tests use."""

    server: ServerProcess
    database: Path
    admin: str
    editor: str
    viewer: str
    server_sdk: str
    client_sdk: str
    admin_a: str
    editor_a: str
    viewer_a: str
    editor_b: str

    def headers(self, secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="package")
def tenancy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenancy]:
    database = tmp_path_factory.mktemp("security") / "flagpilot.db"
    environ = {"FLAGPILOT_DATABASE_URL": f"sqlite:///{database}"}
    with running_server(environ, setup=[["init"]]) as server:
        admin = server.admin_token
        setup = Tenancy(
            server=server,
            database=database,
            admin=admin,
            editor=server.issue("editor"),
            viewer=server.issue("viewer"),
            server_sdk=server.issue("server-sdk"),
            client_sdk=server.issue("client-sdk"),
            admin_a=server.issue("admin", organization_id="org-a"),
            editor_a=server.issue("editor", organization_id="org-a"),
            viewer_a=server.issue("viewer", organization_id="org-a"),
            editor_b=server.issue("editor", organization_id="org-b"),
        )
        for org in ("org-a", "org-b"):
            answer = httpx.post(
                server.url("/api/admin/feature-flags"),
                json={
                    "featureName": "phase2_enhanced_storage",
                    "organizationId": org,
                    "customerId": f"customer-of-{org}",
                    "enabled": True,
                    "reason": f"secret plan of {org}",
                },
                headers=setup.headers(admin),
            )
            assert answer.status_code == 200, answer.text
        yield setup
