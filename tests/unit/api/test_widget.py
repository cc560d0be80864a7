"""GET /api/widget/config: the chat widget's document for a visitor."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from flagpilot.core import EnvironmentConfig, Snapshot, frozen_mapping
from flagpilot.services.snapshots import StaticSnapshotProvider
from tests.unit.api.conftest import Keys, bearer, production
from tests.unit.builders import flag, rollout

pytestmark = pytest.mark.anyio

PATH = "/api/widget/config"


def phases(response: httpx.Response) -> dict[str, dict[str, bool]]:
    assert response.status_code == 200, response.text
    document: dict[str, dict[str, dict[str, bool]]] = response.json()
    return document["sessionPersistence"]


async def test_widget_config__anonymous_with_query_key__gives_phase1_on_and_partial_rollouts_off(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"key": keys.client})

    assert response.headers["content-type"] == "application/json"
    assert phases(response) == {
        "phase1": {"parentStorage": True, "crossDomainMessaging": True, "autoRestore": True},
        "phase2": {"enhancedStorage": False, "connectionMonitoring": False, "retryLogic": False},
        "phase3": {"tabSync": False, "performanceMode": False, "analytics": False},
    }


async def test_widget_config__customer_override__turns_the_feature_on(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"customerId": "vip"}, headers=bearer(keys.client))

    assert phases(response)["phase2"]["enhancedStorage"] is True


async def test_widget_config__organization_override__turns_the_feature_on(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(
        PATH, params={"customerId": "someone", "organizationId": "org-a", "key": keys.client}
    )

    assert phases(response)["phase2"]["enhancedStorage"] is True


async def test_widget_config__organization_key__evaluates_for_its_own_organization(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"customerId": "someone", "key": keys.org_client})

    assert phases(response)["phase2"]["enhancedStorage"] is True


async def test_widget_config__fifty_percent_rollout__splits_customers(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    seen = {
        phases(await client.get(PATH, params={"customerId": f"c{i}", "key": keys.client}))["phase2"][
            "enhancedStorage"
        ]
        for i in range(40)
    }

    assert seen == {True, False}


async def test_widget_config__same_etag__is_answered_not_modified(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    first = await client.get(PATH, params={"customerId": "c1", "key": keys.client})

    again = await client.get(
        PATH,
        params={"customerId": "c1", "key": keys.client},
        headers={"If-None-Match": first.headers["etag"]},
    )

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_widget_config__after_a_flag_change__etag_changes(
    client: httpx.AsyncClient, keys: Keys, snapshots: StaticSnapshotProvider
) -> None:
    before = await client.get(PATH, params={"key": keys.client})
    snapshots.replace(production(version=8, percentage=100.0))

    after = await client.get(
        PATH, params={"key": keys.client}, headers={"If-None-Match": before.headers["etag"]}
    )

    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert phases(after)["phase2"]["enhancedStorage"] is True


async def test_widget_config__master_switch_off__serves_built_in_defaults(
    client: httpx.AsyncClient, keys: Keys, snapshots: StaticSnapshotProvider
) -> None:
    snapshots.replace(production(flags_enabled=False))

    response = await client.get(PATH, params={"customerId": "vip", "key": keys.client})

    assert phases(response)["phase2"]["enhancedStorage"] is False
    assert phases(response)["phase1"]["parentStorage"] is True


async def test_widget_config__environment_key__reads_its_environment(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"customerId": "vip", "key": keys.staging_client})

    assert phases(response)["phase2"]["enhancedStorage"] is False  # the override exists only in production


async def test_widget_config__environment_key_asking_for_another__is_forbidden(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"environment": "production", "key": keys.staging_client})

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_widget_config__organization_key_asking_for_another__is_forbidden(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"organizationId": "org-b", "key": keys.org_client})

    assert response.status_code == 403


async def test_widget_config__unknown_environment__is_a_404_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.get(PATH, params={"environment": "moon", "key": keys.client})

    assert response.status_code == 404
    assert response.json()["type"] == "urn:flagpilot:problem:environment-not-found"


@pytest.mark.parametrize("params", [{}, {"key": "fp_client-sdk_nope"}, {"key": ""}])
async def test_widget_config__without_a_valid_key__is_unauthenticated(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(PATH, params=params)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


async def test_widget_config__secret_token_in_the_url__is_forbidden(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    in_url = await client.get(PATH, params={"key": keys.server})
    in_header = await client.get(PATH, headers=bearer(keys.server))

    assert in_url.status_code == 403
    assert in_header.status_code == 200


async def test_widget_config__evaluates_only_the_nine_flags_it_shows(
    client: httpx.AsyncClient, keys: Keys, snapshots: StaticSnapshotProvider
) -> None:
    # Given production with a thousand unrelated flags, one of them with 10,000 overrides
    crowded = {f"unrelated_{i}": True for i in range(10_000)}
    unrelated = [flag(f"unrelated_{i}") for i in range(1_000)]
    unrelated[0] = replace(
        unrelated[0],
        config=EnvironmentConfig(rollout=rollout(50.0), customer_overrides=frozen_mapping(crowded)),
    )
    base = production(version=8)
    snapshots.replace(Snapshot([*base.states.values(), *unrelated], environment="production", version=8))

    # When
    response = await client.get(PATH, params={"customerId": "vip", "key": keys.client})

    # Then: the document is as before, and the evaluations counted are the widget's own
    assert phases(response)["phase2"]["enhancedStorage"] is True
    counted = [
        line
        for line in (await client.get("/metrics")).text.splitlines()
        if line.startswith("flagpilot_evaluations_total{")
    ]
    assert len(counted) == 9
    assert not [line for line in counted if "unrelated" in line]
