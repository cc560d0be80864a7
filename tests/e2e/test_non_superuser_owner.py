"""The whole product run by a database owner that is neither superuser nor BYPASSRLS, as managed
PostgreSQL services give: migrations, the server, tenant writes, and row-level security.

Superusers bypass every policy, so a suite run as `postgres` cannot see what such an owner
meets. Here a role of our own owns a database of our own; `flagpilot init` and `flagpilot
serve` run as it, tenants write through the API, and raw SQL as the owner shows that FORCE ROW
LEVEL SECURITY holds it to the policies too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from flagpilot.storage import libpq_url
from tests.databases import drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server

pytestmark = pytest.mark.postgres

FLAG = "phase2_enhanced_storage"


@dataclass
class Owned:
    server: ServerProcess
    owner_url: str
    editor_a: str
    editor_b: str
    admin_a: str

    def headers(self, secret: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret or self.server.admin_token}"}


def _as_superuser(server_url: str, *statements: str) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def owned(postgres_server_url: str) -> Iterator[Owned]:
    role, database = unique_name("flagpilot_owner"), unique_name("test_tenancy_owner")
    _as_superuser(
        postgres_server_url,
        f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE NOCREATEDB',
        f'CREATE DATABASE "{database}" OWNER "{role}"',
    )
    owner_url = make_url(postgres_server_url).set(username=role, database=database).render_as_string(False)
    try:
        with running_server({"FLAGPILOT_DATABASE_URL": owner_url}, setup=[["init"]]) as server:
            yield Owned(
                server=server,
                owner_url=owner_url,
                editor_a=server.issue("editor", organization_id="org-a"),
                editor_b=server.issue("editor", organization_id="org-b"),
                admin_a=server.issue("admin", organization_id="org-a"),
            )
    finally:
        drop_database(postgres_server_url, database)
        _as_superuser(postgres_server_url, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


def _as_owner(owned: Owned, *statements: str) -> list[list[tuple[object, ...]]]:
    """Run `statements` in one transaction as the owner; the rows of each (rolled back after)."""
    results = []
    with psycopg.connect(libpq_url(owned.owner_url)) as connection:
        for statement in statements:
            cursor = connection.execute(statement)  # type: ignore[arg-type]
            results.append(cursor.fetchall() if cursor.description else [])
        connection.rollback()
    return results


def test_non_superuser_owner__is_neither_superuser_nor_bypasses_row_level_security(owned: Owned) -> None:
    ((flags,),) = _as_owner(owned, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")

    assert flags == (False, False)


def test_non_superuser_owner__migrates_to_head_and_serves(owned: Owned) -> None:
    current = owned.server.run("db", "current").stdout

    assert "(head)" in current
    assert httpx.get(owned.server.url("/readyz"), timeout=10).status_code == 200
    widget = httpx.get(owned.server.url("/api/widget/config"), headers=owned.headers(), timeout=10)
    assert widget.status_code == 200, widget.text


def _each_tenant_sets_an_override(owned: Owned) -> None:
    for org, editor in (("org-a", owned.editor_a), ("org-b", owned.editor_b)):
        written = httpx.post(
            owned.server.url("/api/admin/feature-flags"),
            json={"featureName": FLAG, "customerId": f"cust-{org}", "enabled": True, "reason": org},
            headers=owned.headers(editor),
            timeout=10,
        )
        assert written.status_code == 200, written.text


def test_non_superuser_owner__tenants_write_and_read_only_their_own_overrides(owned: Owned) -> None:
    _each_tenant_sets_an_override(owned)

    seen_by_a = httpx.get(
        owned.server.url(f"/api/admin/flags/{FLAG}/overrides"),
        headers=owned.headers(owned.editor_a),
        timeout=10,
    )
    seen_by_all = httpx.get(
        owned.server.url(f"/api/admin/flags/{FLAG}/overrides"), headers=owned.headers(), timeout=10
    )
    assert seen_by_a.status_code == seen_by_all.status_code == 200
    assert [item["subjectId"] for item in seen_by_a.json()["items"]] == ["cust-org-a"]
    assert sorted(item["subjectId"] for item in seen_by_all.json()["items"]) == ["cust-org-a", "cust-org-b"]
    served = httpx.post(
        owned.server.url(f"/ofrep/v1/evaluate/flags/{FLAG}"),
        json={"context": {"targetingKey": "cust-org-a", "organizationId": "org-a"}},
        headers=owned.headers(owned.server.issue("server-sdk")),
        timeout=10,
    )
    assert served.json()["value"] is True, served.text


def test_non_superuser_owner__an_organizations_admin_issues_tokens_for_it_alone(owned: Owned) -> None:
    issued = httpx.post(
        owned.server.url("/api/admin/tokens"),
        json={"kind": "viewer", "name": "a viewer", "organizationId": "org-a"},
        headers=owned.headers(owned.admin_a),
        timeout=10,
    )
    listed = httpx.get(
        owned.server.url("/api/admin/tokens"), headers=owned.headers(owned.admin_a), timeout=10
    )

    assert issued.status_code == 201, issued.text
    assert listed.status_code == 200
    assert {token.get("organizationId") for token in _items(listed.json())} == {"org-a"}


def test_non_superuser_owner__is_held_to_the_policies_by_forced_row_level_security(owned: Owned) -> None:
    _each_tenant_sets_an_override(owned)
    scoped = "SELECT set_config('app.organization_id', 'org-a', true)"
    organizations = "SELECT DISTINCT organization_id FROM customer_feature_flags ORDER BY 1"

    _, as_owner_in_a = _as_owner(owned, scoped, organizations)
    (everything,) = _as_owner(owned, organizations)
    _, _, as_tenant_without_setting = _as_owner(
        owned, "SET LOCAL ROLE flagpilot_tenant", "SELECT 1", "SELECT count(*) FROM customer_feature_flags"
    )

    assert as_owner_in_a == [("org-a",)]  # without FORCE the owner would see org-b's too
    assert everything == [("org-a",), ("org-b",)]
    assert as_tenant_without_setting == [(0,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        _as_owner(
            owned,
            scoped,
            "UPDATE customer_feature_flags SET organization_id = 'org-b' WHERE organization_id = 'org-a'",
        )


def _items(listing: object) -> list[dict[str, object]]:
    return list(listing["items"] if isinstance(listing, dict) else listing)  # type: ignore[arg-type]
