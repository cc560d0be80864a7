"""GET /api/sdk/snapshot: the wire-format snapshot for local evaluation."""

from __future__ import annotations

import httpx
import pytest

from flagpilot.core import snapshot_from_dict
from flagpilot.services.snapshots import StaticSnapshotProvider
from tests.unit.api.conftest import ROLLOUT_FLAG, Keys, bearer, production

pytestmark = pytest.mark.anyio

PATH = "/api/sdk/snapshot"


async def test_snapshot__server_token__downloads_the_wire_format(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, headers=bearer(keys.server))

    snapshot = snapshot_from_dict(response.json())
    assert response.status_code == 200
    assert (snapshot.environment, snapshot.version) == ("production", 7)
    assert ROLLOUT_FLAG in snapshot
    assert response.headers["etag"] == '"7"'


async def test_snapshot__matching_etag__is_not_modified_until_the_version_changes(
    client: httpx.AsyncClient, keys: Keys, snapshots: StaticSnapshotProvider
) -> None:
    conditional = {**bearer(keys.server), "If-None-Match": '"7"'}

    unchanged = await client.get(PATH, headers=conditional)
    snapshots.replace(production(version=8))
    changed = await client.get(PATH, headers=conditional)

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed.json()["version"] == 8


async def test_snapshot__master_switch_off__has_its_own_etag(
    client: httpx.AsyncClient, keys: Keys, snapshots: StaticSnapshotProvider
) -> None:
    snapshots.replace(production(flags_enabled=False))

    response = await client.get(PATH, headers={**bearer(keys.server), "If-None-Match": '"7"'})

    assert response.status_code == 200
    assert response.json()["flagsEnabled"] is False


async def test_snapshot__other_environment__is_served_by_name(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get(PATH, params={"environment": "staging"}, headers=bearer(keys.server))

    assert response.json()["environment"] == "staging"


@pytest.mark.parametrize("kind", ["client", "viewer", "org_server"])
async def test_snapshot__client_viewer_or_organization_token__is_forbidden(
    client: httpx.AsyncClient, keys: Keys, kind: str
) -> None:
    response = await client.get(PATH, headers=bearer(getattr(keys, kind)))

    assert response.status_code == 403


async def test_stream__unknown_environment__is_404_before_streaming(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(
        "/api/sdk/stream", params={"environment": "moon"}, headers=bearer(keys.server)
    )

    assert response.status_code == 404
