"""OFREP single and bulk evaluation, as the OFREP OpenAPI document specifies them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flagpilot.services.snapshots import StaticSnapshotProvider
from tests.unit.api.conftest import NUMBER_FLAG, ROLLOUT_FLAG, Keys, bearer, production

pytestmark = pytest.mark.anyio

SINGLE = "/ofrep/v1/evaluate/flags/{}"
BULK = "/ofrep/v1/evaluate/flags"


async def evaluate(client: httpx.AsyncClient, key: str, body: Any, secret: str) -> httpx.Response:
    return await client.post(SINGLE.format(key), json=body, headers=bearer(secret))


async def test_single__customer_override__is_targeting_match_with_variant_and_metadata(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": {"targetingKey": "vip"}}, keys.server)

    assert response.status_code == 200
    assert response.json() == {
        "key": ROLLOUT_FLAG,
        "value": True,
        "reason": "TARGETING_MATCH",
        "variant": "on",
        "metadata": {"version": 7, "environment": "production"},
    }


async def test_single__rollout_decides__reports_split_and_tier(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": {"targetingKey": "c1"}}, keys.client)

    body = response.json()
    assert body["reason"] == "SPLIT"
    assert body["metadata"]["tier"] == "tier_2_early_adopters"


async def test_single__number_flag__has_a_string_variant(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await evaluate(client, NUMBER_FLAG, {"context": {}}, keys.server)

    assert response.json()["value"] == 3
    assert response.json()["variant"] == "default"


async def test_single__unknown_flag__is_404_flag_not_found(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await evaluate(client, "nope", {"context": {"targetingKey": "c1"}}, keys.server)

    assert response.status_code == 404
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"
    assert response.json()["key"] == "nope"


async def test_single__partial_rollout_without_targeting_key__is_400_targeting_key_missing(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": {}}, keys.server)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "TARGETING_KEY_MISSING"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"context"'])
async def test_single__body_that_is_not_a_json_object__is_400_parse_error(
    client: httpx.AsyncClient, keys: Keys, raw: bytes
) -> None:
    response = await client.post(
        SINGLE.format(ROLLOUT_FLAG),
        content=raw,
        headers={**bearer(keys.server), "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"


@pytest.mark.parametrize("context", [[], "x", {"targetingKey": 5}, {"organizationId": {"a": 1}}])
async def test_single__malformed_context__is_400_invalid_context(
    client: httpx.AsyncClient, keys: Keys, context: Any
) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": context}, keys.server)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_CONTEXT"


async def test_single__environment_attribute__chooses_the_snapshot(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await evaluate(
        client, ROLLOUT_FLAG, {"context": {"targetingKey": "vip", "environment": "staging"}}, keys.server
    )

    assert response.json()["metadata"]["environment"] == "staging"
    assert response.json()["value"] is False


async def test_single__unknown_environment__is_400_invalid_context(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": {"environment": "moon"}}, keys.server)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_CONTEXT"


async def test_single__organization_token__evaluates_within_its_organization(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": {"targetingKey": "x"}}, keys.org_server)

    assert response.json()["reason"] == "TARGETING_MATCH"


@pytest.mark.parametrize("kind", ["admin", "viewer"])
async def test_single__token_that_is_not_an_sdk_token__is_forbidden(
    client: httpx.AsyncClient, keys: Keys, kind: str
) -> None:
    response = await evaluate(client, ROLLOUT_FLAG, {"context": {}}, getattr(keys, kind))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_bulk__returns_every_flag_with_per_flag_errors(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(BULK, json={"context": {}}, headers=bearer(keys.client))

    flags = {flag["key"]: flag for flag in response.json()["flags"]}
    assert response.status_code == 200
    assert len(flags) == 10
    assert flags["phase1_parent_storage"]["value"] is True
    assert flags[ROLLOUT_FLAG] == {
        "key": ROLLOUT_FLAG,
        "errorCode": "TARGETING_KEY_MISSING",
        "errorDetails": flags[ROLLOUT_FLAG]["errorDetails"],
    }


async def test_bulk__same_etag__is_answered_not_modified(client: httpx.AsyncClient, keys: Keys) -> None:
    body = {"context": {"targetingKey": "c1", "plan": {"tier": "gold", "seats": 3}}}
    first = await client.post(BULK, json=body, headers=bearer(keys.client))
    reordered = {"context": {"plan": {"seats": 3, "tier": "gold"}, "targetingKey": "c1"}}

    again = await client.post(
        BULK, json=reordered, headers={**bearer(keys.client), "If-None-Match": first.headers["etag"]}
    )

    assert again.status_code == 304


async def test_bulk__another_answer_or_a_new_version__changes_the_etag(
    client: httpx.AsyncClient, keys: Keys, snapshots: StaticSnapshotProvider
) -> None:
    first = await client.post(BULK, json={"context": {"targetingKey": "c1"}}, headers=bearer(keys.client))
    other = await client.post(BULK, json={"context": {"targetingKey": "vip"}}, headers=bearer(keys.client))
    snapshots.replace(production(version=9))
    newer = await client.post(
        BULK,
        json={"context": {"targetingKey": "c1"}},
        headers={**bearer(keys.client), "If-None-Match": first.headers["etag"]},
    )

    assert len({first.headers["etag"], other.headers["etag"], newer.headers["etag"]}) == 3
    assert newer.status_code == 200


async def test_bulk__a_context_answered_alike__is_not_modified(client: httpx.AsyncClient, keys: Keys) -> None:
    first = await client.post(BULK, json={"context": {"targetingKey": "c1"}}, headers=bearer(keys.client))
    unread = {"context": {"targetingKey": "c1", "plan": "gold"}}  # an attribute no rule reads

    again = await client.post(
        BULK, json=unread, headers={**bearer(keys.client), "If-None-Match": first.headers["etag"]}
    )

    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]


async def test_bulk__malformed_body__is_400_without_a_key(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(BULK, content=b"{", headers=bearer(keys.client))

    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"
    assert "key" not in response.json()


async def test_bulk__empty_body__evaluates_an_empty_context(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(BULK, headers=bearer(keys.client))

    assert response.status_code == 200


async def test_configuration__describes_the_server(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get("/ofrep/v1/configuration", headers=bearer(keys.client))

    assert response.json()["name"] == "flagpilot"


async def test_single__key_with_a_slash__is_an_unknown_route(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await evaluate(client, "a/b", {"context": {}}, keys.server)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_single__overlong_key__is_404_flag_not_found(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await evaluate(client, "k" * 300, {"context": {}}, keys.server)

    assert response.status_code == 404
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"


async def test_single__without_a_token__is_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(SINGLE.format(ROLLOUT_FLAG), json={})

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_single__counts_in_metrics_under_the_route_template(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    await evaluate(client, ROLLOUT_FLAG, {"context": {"targetingKey": "vip"}}, keys.server)

    metrics = (await client.get("/metrics")).text

    assert 'route="/ofrep/v1/evaluate/flags/{key}",status="200"' in metrics
