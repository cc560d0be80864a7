"""What `/metrics` and `/readyz` cost and say: no database round trip per rollout, and a replica
whose refresher is stuck leaves readiness."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import anyio
import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from flagpilot.presets import DEFINITIONS
from flagpilot.server import Container
from flagpilot.server.asgi import create_asgi_app
from flagpilot.services.flags import install_preset
from flagpilot.services.rollouts import RolloutConfig
from flagpilot.settings import Settings
from flagpilot.storage import libpq_url

pytestmark = pytest.mark.anyio


async def test_metrics__rollout_gauges_cost_the_same_few_queries_for_any_number_of_rollouts(
    client: httpx.AsyncClient, container: Container
) -> None:
    # Given: every boolean preset flag in an active rollout, each with events
    now = datetime.now(UTC)
    flags = [d.key for d in DEFINITIONS]
    for key in flags:
        container.rollout_manager.create(key, "production", RolloutConfig(), actor="a", now=now)
        container.rollout_manager.start(key, "production", actor="a", now=now)
    statements: list[str] = []

    def count(*args: object) -> None:
        if not threading.current_thread().name.startswith("flagpilot-"):
            statements.append(str(args[2]))

    # When
    event.listen(container.engine, "before_cursor_execute", count)
    try:
        text = (await client.get("/metrics")).text
    finally:
        event.remove(container.engine, "before_cursor_execute", count)

    # Then: one list and one read of every rollout's metric rows, not one unit of work each
    assert "flagpilot_rollout_error_rate" in text
    assert len(flags) >= 6
    assert len(statements) <= 4, statements


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_readyz__a_replica_whose_refresher_is_stuck__leaves_readiness_within_the_limit(
    database_url: str,
) -> None:
    # Given: a replica allowed to be 2 s behind
    settings = Settings(
        database_url=database_url,
        access_log=False,
        ready_max_lag_seconds=2.0,
    )
    app: FastAPI = create_asgi_app(settings)
    install_preset(app.state.container.flag_manager, actor="tests")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as client:
            assert (await client.get("/readyz")).status_code == 200

            # When: its refresher hangs on the database (a lock nobody gives up)
            with psycopg.connect(libpq_url(database_url)) as locker:
                locker.execute("LOCK TABLE state_version IN ACCESS EXCLUSIVE MODE")
                frozen_at = time.monotonic()
                answer = await client.get("/readyz")
                while answer.status_code == 200 and time.monotonic() - frozen_at < 10:
                    await anyio.sleep(0.1)
                    answer = await client.get("/readyz")
                left_after = time.monotonic() - frozen_at
                locker.rollback()

            # Then: out of readiness, within the limit and the poll's second, saying why
            body = answer.json()
            assert answer.status_code == 503
            assert left_after < 2.0 + 1.5
            assert not body["checks"]["snapshot"]["ok"]
            assert "behind the database" in body["checks"]["snapshot"]["detail"]

            # And: ready again once the refresher runs
            deadline = time.monotonic() + 10
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline
                await anyio.sleep(0.1)

