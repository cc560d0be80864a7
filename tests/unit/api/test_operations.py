"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from flagpilot.services.snapshots import CacheStats, StaticSnapshotProvider
from tests.unit.api.conftest import AppFactory, Keys, production

pytestmark = pytest.mark.anyio


class StaleSnapshots(StaticSnapshotProvider):
    """A provider whose database has gone away: it serves its last good snapshots."""

    def stats(self) -> CacheStats:
        return replace(super().stats(), stale=True, age_seconds=612.0, last_error="connection refused")


async def get(app_factory: AppFactory, path: str, **overrides: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_factory(**overrides))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        return await http.get(path)


async def test_healthz__answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.json() == {"status": "ok"}


async def test_readyz__fresh_snapshots__is_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["ready"] is True
    assert response.json()["snapshotVersion"] == 7


async def test_readyz__stale_snapshots__is_503_and_says_why(make_app: AppFactory) -> None:
    snapshots = StaleSnapshots({"production": production()})

    response = await get(make_app, "/readyz", snapshots=snapshots, database=True)

    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable: connection refused"}
    assert body["checks"]["snapshot"]["ok"] is False


async def test_readyz__master_switch_off__is_ready_and_reports_it(make_app: AppFactory) -> None:
    response = await get(make_app, "/readyz", flags_enabled=False)

    assert response.status_code == 200
    assert response.json()["flagsEnabled"] is False
    assert "master switch off" in response.json()["checks"]["flagsEnabled"]["detail"]


async def test_metrics__count_evaluations_by_flag_and_reason_and_latency_by_route(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    await client.get("/api/widget/config", params={"customerId": "vip", "key": keys.client})
    await client.post(
        "/ofrep/v1/evaluate/flags/unknown-1", json={}, headers={"Authorization": f"Bearer {keys.server}"}
    )

    text = (await client.get("/metrics")).text

    assert 'flagpilot_evaluations_total{flag="phase2_enhanced_storage",reason="TARGETING_MATCH"} 1.0' in text
    assert 'flagpilot_evaluations_total{flag="(unknown)",reason="ERROR"} 1.0' in text
    assert (
        'flagpilot_http_request_duration_seconds_count{method="GET",route="/api/widget/config"} 1.0' in text
    )
    assert 'route="/ofrep/v1/evaluate/flags/{key}"' in text
    assert 'flagpilot_snapshot_version{environment="production"} 7.0' in text
    assert "flagpilot_database_version 7.0" in text
    assert "flagpilot_snapshot_cache_hits_total" in text


async def test_metrics__two_apps_in_one_process__keep_separate_counts(make_app: AppFactory) -> None:
    await get(make_app, "/healthz")

    text = (await get(make_app, "/metrics")).text

    assert 'route="/healthz"' not in text


async def test_metrics__extra_collectors__are_exposed(make_app: AppFactory) -> None:
    from prometheus_client.core import GaugeMetricFamily, Metric

    class QueryTime:
        def collect(self) -> list[Metric]:
            return [GaugeMetricFamily("flagpilot_database_query_seconds_max", "slowest query", 0.004)]

    response = await get(make_app, "/metrics", collectors=(QueryTime(),))

    assert "flagpilot_database_query_seconds_max 0.004" in response.text


async def test_metrics__docs_pages_by_path_and_unknown_paths_as_one_label(client: httpx.AsyncClient) -> None:
    await client.get("/openapi.json")
    await client.get("/no/such/page-1")
    await client.get("/no/such/page-2")

    text = (await client.get("/metrics")).text

    assert 'flagpilot_http_requests_total{method="GET",route="/openapi.json",status="200"} 1.0' in text
    assert 'flagpilot_http_requests_total{method="GET",route="(unmatched)",status="404"} 2.0' in text
