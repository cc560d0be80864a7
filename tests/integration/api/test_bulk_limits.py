"""The bulk routes take their documented maxima in one call, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

FLAG = "phase2_enhanced_storage"


async def test_set_overrides__the_documented_10000_with_long_ids__are_written_in_one_call(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # Given 10,000 customer ids of the longest legal length, 128 characters (about 1.4 MB of JSON)
    values = {f"{n:05d}-" + "c" * 122: True for n in range(10_000)}

    # When they are set in one call
    response = await client.put(
        f"/api/admin/flags/{FLAG}/overrides",
        json={"environment": "staging", "scope": "customer", "values": values},
        headers=admin,
    )

    # Then all of them are written
    assert response.status_code == 200, response.text
    assert response.json() == {"count": 10_000}


async def test_set_overrides__past_the_routes_limit__is_a_413_naming_the_limit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.put(
        f"/api/admin/flags/{FLAG}/overrides",
        content=b"{" + b" " * (8 * 1024 * 1024) + b"}",
        headers={**admin, "content-type": "application/json"},
    )

    assert response.status_code == 413
    assert "(room for 10,000 overrides)" in response.json()["detail"]
