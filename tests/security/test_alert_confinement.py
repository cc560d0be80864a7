"""Alerts for a token confined to one environment: it is served its own environment's alerts,
and naming another environment answers exactly as naming one that does not exist (404), so the
answer never tells it which environments there are."""

from __future__ import annotations

import httpx

from tests.security.conftest import Tenancy


def test_alert_confinement__an_environment_confined_reader_is_served_its_own_alerts(
    tenancy: Tenancy,
) -> None:
    staging_viewer = tenancy.server.issue("viewer", environment="staging")

    for params in ({}, {"environment": "staging"}):
        answer = httpx.get(
            tenancy.server.url("/api/admin/alerts"), params=params, headers=tenancy.headers(staging_viewer)
        )
        assert answer.status_code == 200, answer.text
        assert all(alert["environment"] == "staging" for alert in answer.json())


def test_alert_confinement__another_environment_looks_like_one_that_does_not_exist(
    tenancy: Tenancy,
) -> None:
    staging_viewer = tenancy.server.issue("viewer", environment="staging")

    def alerts_of(environment: str) -> httpx.Response:
        return httpx.get(
            tenancy.server.url("/api/admin/alerts"),
            params={"environment": environment},
            headers=tenancy.headers(staging_viewer),
        )

    existing, missing = alerts_of("production"), alerts_of("no-such-environment")
    assert existing.status_code == missing.status_code == 404
    assert existing.headers["content-type"].startswith("application/problem+json")
    assert existing.text.replace("production", "no-such-environment") == missing.text
    assert "staging" not in existing.text
