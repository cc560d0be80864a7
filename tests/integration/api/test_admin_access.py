"""Who may do what on the admin API, on SQLite and PostgreSQL: kinds, and organizations' walls.

An organization's token must neither see nor change another organization's overrides; on
PostgreSQL its queries also run under that organization's row-level-security setting.
"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api.conftest import Issue

pytestmark = pytest.mark.anyio

FLAG = "phase2_enhanced_storage"
OVERRIDES = f"/api/admin/flags/{FLAG}/overrides"


async def test_admin_routes__without_a_valid_token__are_401(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/admin/feature-flags")
    unknown = await client.get("/api/admin/feature-flags", headers={"Authorization": "Bearer fp_admin_nope"})

    assert (missing.status_code, unknown.status_code) == (401, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")


async def test_kinds__viewer_reads_editor_switches_only_admin_defines_flags_and_tokens(
    client: httpx.AsyncClient, issue: Issue
) -> None:
    viewer, editor, sdk = issue("viewer"), issue("editor"), issue("server-sdk")
    kill = {"environment": "staging", "reason": "drill"}

    assert (await client.get("/api/admin/feature-flags", headers=viewer)).status_code == 200
    assert (await client.post(f"/api/admin/flags/{FLAG}/kill", json=kill, headers=viewer)).status_code == 403
    assert (await client.post(f"/api/admin/flags/{FLAG}/kill", json=kill, headers=editor)).status_code == 200
    assert (await client.post("/api/admin/flags", json={"key": "x_flag"}, headers=editor)).status_code == 403
    assert (await client.get("/api/admin/tokens", headers=editor)).status_code == 403
    assert (await client.get("/api/admin/feature-flags", headers=sdk)).status_code == 403


async def _org_b_overrides(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for body in (
        {"featureName": FLAG, "organizationId": "org-b", "enabled": True},
        {"featureName": FLAG, "organizationId": "org-b", "customerId": "cust-b", "enabled": True},
    ):
        response = await client.post(
            "/api/admin/feature-flags", json={**body, "environment": "production"}, headers=admin
        )
        assert response.status_code == 200, response.text


async def test_organization_token__cannot_read_or_change_another_organizations_overrides(
    client: httpx.AsyncClient, admin: dict[str, str], issue: Issue
) -> None:
    # Given org B's organization and customer overrides, and an editor token of org A
    await _org_b_overrides(client, admin)
    org_a = issue("editor", org="org-a")

    # When org A lists, sets and clears overrides of org B
    listed = [
        (await client.get(OVERRIDES, params={"scope": scope}, headers=org_a)).json()["items"]
        for scope in ("customer", "organization")
    ]
    set_org = await client.post(
        "/api/admin/feature-flags",
        json={"featureName": FLAG, "organizationId": "org-b", "enabled": False},
        headers=org_a,
    )
    set_customer = await client.post(
        "/api/admin/feature-flags",
        json={"featureName": FLAG, "customerId": "cust-b", "enabled": False},
        headers=org_a,
    )
    clear_one = await client.delete(
        f"{OVERRIDES}/customer/cust-b", params={"environment": "production"}, headers=org_a
    )
    clear_all = await client.post(
        OVERRIDES + "/clear", json={"environment": "production", "scope": "customer"}, headers=org_a
    )

    # Then nothing of org B is seen or changed
    assert listed == [[], []]
    assert set_org.status_code == 403
    assert set_customer.status_code == 403
    assert clear_one.status_code == 404
    assert clear_all.json() == {"count": 0}
    seen_by_admin = (await client.get(OVERRIDES, headers=admin)).json()["items"]
    assert [(o["subjectId"], o["value"]) for o in seen_by_admin] == [("cust-b", True)]


async def test_organization_token__manages_its_own_overrides_but_nothing_that_spans_tenants(
    client: httpx.AsyncClient, issue: Issue
) -> None:
    org_a = issue("editor", org="org-a")

    own = await client.post(
        "/api/admin/feature-flags",
        json={"featureName": FLAG, "customerId": "cust-a", "enabled": True},
        headers=org_a,
    )
    listed = await client.get(OVERRIDES, headers=org_a)
    environment_value = await client.post(
        "/api/admin/feature-flags", json={"featureName": FLAG, "enabled": True}, headers=org_a
    )
    audit = await client.get("/api/admin/audit", headers=org_a)

    assert own.status_code == 200
    assert [(o["subjectId"], o["organizationId"]) for o in listed.json()["items"]] == [("cust-a", "org-a")]
    assert environment_value.status_code == 403
    assert audit.status_code == 403


async def test_environment_confined_admin__cannot_reach_routes_that_span_environments(
    client: httpx.AsyncClient, issue: Issue
) -> None:
    # Given an admin token confined to staging
    staging_admin = issue("admin", env="staging")

    # When it defines a flag, exports, imports or reads the audit trail (all environments)
    created = await client.post("/api/admin/flags", json={"key": "x_flag"}, headers=staging_admin)
    exported = await client.get("/api/admin/export", headers=staging_admin)
    imported = await client.post("/api/admin/import?dryRun=true", json={}, headers=staging_admin)
    audit = await client.get("/api/admin/audit", headers=staging_admin)

    # Then each is refused, while its own environment's kill switch still works
    assert [r.status_code for r in (created, exported, imported, audit)] == [403, 403, 403, 403]
    own = await client.post(
        f"/api/admin/flags/{FLAG}/kill",
        json={"environment": "staging", "reason": "drill"},
        headers=staging_admin,
    )
    assert own.status_code == 200
