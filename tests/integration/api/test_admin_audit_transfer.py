"""The audit trail, export and import through the admin API, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

FLAG = "phase2_enhanced_storage"


async def test_audit__lists_a_change_by_the_tokens_actor_and_the_chain_verifies(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(
        f"/api/admin/flags/{FLAG}/kill", json={"environment": "production", "reason": "drill"}, headers=admin
    )
    token_id = (await client.get("/api/admin/tokens", headers=admin)).json()[0]["tokenId"]

    page = await client.get("/api/admin/audit", params={"flag": FLAG, "limit": 1}, headers=admin)
    verified = await client.get("/api/admin/audit/verify", headers=admin)

    [row] = page.json()["items"]
    assert (row["action"], row["actor"], row["reason"]) == ("environment.kill", f"token:{token_id}", "drill")
    assert row["actorName"] == "bootstrap admin"
    assert page.json()["nextBefore"] == row["id"]
    assert verified.json()["ok"] is True


async def test_import__of_an_export__round_trips_and_a_dry_run_writes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    document = (await client.get("/api/admin/export", headers=admin)).json()

    dry = await client.post("/api/admin/import", params={"dryRun": "true"}, json=document, headers=admin)
    real = await client.post("/api/admin/import", json=document, headers=admin)

    assert dry.json()["dryRun"] is True
    assert real.json()["flags"] == len(document["flags"]) > 0


async def test_import__a_percentage_off_the_hundredth_grid__is_a_422_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    document = (await client.get("/api/admin/export", headers=admin)).json()
    rollout = {"featureName": FLAG, "environment": "production", "currentTier": "tier_1_internal"}
    document["rollouts"] = [{**rollout, "percentage": 1.005, "minDwellSeconds": 1.5}]

    response = await client.post("/api/admin/import", json=document, headers=admin)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [
        "body.rollouts.0.percentage",
        "body.rollouts.0.minDwellSeconds",
    ]


async def test_token_revocation__through_the_api_is_audited_and_stops_the_token(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    issued = (
        await client.post("/api/admin/tokens", json={"kind": "viewer", "name": "ci"}, headers=admin)
    ).json()

    await client.delete(f"/api/admin/tokens/{issued['tokenId']}", headers=admin)
    used = await client.get(
        "/api/admin/environments", headers={"Authorization": f"Bearer {issued['secret']}"}
    )
    actions = [row["action"] for row in (await client.get("/api/admin/audit", headers=admin)).json()["items"]]

    assert used.status_code == 401
    assert actions[:2] == ["token.revoke", "token.create"]


async def test_audit__last_page__has_no_next_page_even_when_exactly_full(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # Given a few changes to the flag, all read in one page
    for path in ("kill", "unkill"):
        await client.post(
            f"/api/admin/flags/{FLAG}/{path}",
            json={"environment": "staging", "reason": "drill"},
            headers=admin,
        )
    everything = await client.get("/api/admin/audit", params={"flag": FLAG, "limit": 1000}, headers=admin)
    count = len(everything.json()["items"])

    # When a page holds exactly that many rows, and one fewer
    exact = await client.get("/api/admin/audit", params={"flag": FLAG, "limit": count}, headers=admin)
    short = await client.get("/api/admin/audit", params={"flag": FLAG, "limit": count - 1}, headers=admin)

    # Then only the shorter page points to a next one, and that one holds the last row
    assert everything.status_code == 200, everything.text
    assert count >= 2
    assert exact.json()["nextBefore"] is None
    assert len(exact.json()["items"]) == count
    rest = await client.get(
        "/api/admin/audit",
        params={"flag": FLAG, "limit": count, "before": short.json()["nextBefore"]},
        headers=admin,
    )
    assert rest.status_code == 200, rest.text
    assert [r["id"] for r in rest.json()["items"]] == [everything.json()["items"][-1]["id"]]
