"""Flags through the admin API on SQLite and PostgreSQL: listing, values, versions, kill switch."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

FLAG = "phase2_enhanced_storage"


async def test_feature_flags__lists_every_flag_by_phase_with_each_environments_state(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get("/api/admin/feature-flags", headers=admin)

    phases = response.json()["phases"]
    phase2 = {flag["key"]: flag for flag in phases["2"]}
    assert response.status_code == 200
    assert set(phases) == {"1", "2", "3", "none"}
    assert phase2[FLAG]["environments"]["production"]["enabled"] is False
    assert {flag["phase"] for flag in phases["1"]} == {1}


async def test_set_value__changes_the_environment_and_answers_the_new_version_as_etag(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = await client.get(f"/api/admin/flags/{FLAG}", headers=admin)

    changed = await client.post(
        "/api/admin/feature-flags",
        json={"featureName": FLAG, "environment": "staging", "enabled": True, "reason": "pilot"},
        headers={**admin, "If-Match": before.headers["ETag"]},
    )
    after = await client.get(f"/api/admin/flags/{FLAG}", headers=admin)

    assert changed.status_code == 200
    assert changed.json()["version"] == before.json()["version"] + 1
    assert changed.headers["ETag"] == after.headers["ETag"] == f'"{changed.json()["version"]}"'
    assert after.json()["environments"]["staging"]["value"] is True


async def test_set_value__with_a_stale_version__is_a_409_naming_the_current_version(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    version = (await client.get(f"/api/admin/flags/{FLAG}", headers=admin)).json()["version"]
    await client.post(
        "/api/admin/flags/" + FLAG + "/kill", json={"environment": "staging", "reason": "x"}, headers=admin
    )

    stale = await client.post(
        "/api/admin/feature-flags",
        json={"featureName": FLAG, "environment": "staging", "enabled": True, "version": version},
        headers=admin,
    )

    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["currentVersion"] == version + 1


async def test_set_value__of_the_wrong_type__is_a_422_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/api/admin/feature-flags", json={"featureName": FLAG, "value": "yes"}, headers=admin
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.value"]


async def test_unknown_flag__is_a_404_problem(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    read = await client.get("/api/admin/flags/no_such_flag", headers=admin)
    killed = await client.post("/api/admin/flags/no_such_flag/kill", json={"reason": "x"}, headers=admin)

    assert (read.status_code, killed.status_code) == (404, 404)
    assert read.json()["type"] == "urn:flagpilot:problem:flag-not-found"


async def test_create_update_archive__walk_a_flag_through_its_life_with_versions(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/api/admin/flags",
        json={"key": "beta_search", "phase": 3, "description": "new search"},
        headers=admin,
    )
    updated = await client.patch(
        "/api/admin/flags/beta_search",
        json={"description": "faster search", "defaultValue": True},
        headers={**admin, "If-Match": created.headers["ETag"]},
    )
    stale = await client.post(
        "/api/admin/flags/beta_search/archive", headers={**admin, "If-Match": created.headers["ETag"]}
    )
    archived = await client.post(
        "/api/admin/flags/beta_search/archive", json={"reason": "done"}, headers=admin
    )

    assert created.status_code == 201
    assert created.headers["Location"] == "/api/admin/flags/beta_search"
    assert updated.json()["defaultValue"] is True
    assert stale.status_code == 409
    assert archived.json()["archived"] is True


async def test_kill_switch__turns_the_flag_off_in_the_widget_at_once(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    issued = await client.post(
        "/api/admin/tokens", json={"kind": "client-sdk", "name": "widget"}, headers=admin
    )
    widget_key = issued.json()["secret"]

    killed = await client.post(
        "/api/admin/flags/phase1_parent_storage/kill",
        json={"environment": "production", "reason": "storage errors"},
        headers=admin,
    )
    widget = await client.get("/api/widget/config", params={"key": widget_key})

    assert killed.json()["environments"]["production"]["killed"] is True
    assert widget.json()["sessionPersistence"]["phase1"]["parentStorage"] is False


async def test_create_environment__adds_it_once_and_flags_are_served_there(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post("/api/admin/environments", json={"name": "qa"}, headers=admin)
    again = await client.post("/api/admin/environments", json={"name": "qa"}, headers=admin)
    bad = await client.post("/api/admin/environments", json={"name": "Q A"}, headers=admin)
    listed = await client.get("/api/admin/environments", headers=admin)
    flag = await client.get(f"/api/admin/flags/{FLAG}", headers=admin)

    assert (created.status_code, created.json()) == (201, {"name": "qa", "description": ""})
    assert created.headers["Location"] == "/api/admin/environments/qa"
    assert (again.status_code, bad.status_code) == (409, 422)
    assert "qa" in {item["name"] for item in listed.json()["items"]}
    assert "qa" in flag.json()["environments"]
