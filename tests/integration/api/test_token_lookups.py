"""Bad keys never flood the database: 10,000 widget requests with random keys run a few statements.

The statements are counted with a SQLAlchemy event on the server's own engine, on the threads
requests run on (the server's background refreshers, named `flagpilot-…`, poll regardless).
The requests go straight to the ASGI application (httpx's transport would cost more than the
application itself); the app runs inside its real lifespan on a real database.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from flagpilot.server import Container

pytestmark = pytest.mark.anyio

REQUESTS = 10_000


async def _status(app: FastAPI, query: str) -> int:
    """One GET of the widget route, answered by the ASGI app; its status."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/widget/config",
        "raw_path": b"/api/widget/config",
        "query_string": query.encode(),
        "headers": [(b"host", b"flagpilot.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("flagpilot.test", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def test_random_bad_keys__run_fewer_than_50_statements(
    app: FastAPI, client: httpx.AsyncClient, container: Container
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        if not threading.current_thread().name.startswith("flagpilot-"):
            statements.append(str(args[2]))

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        statuses = {
            await _status(app, f"key=fp_client-sdk_{secrets.token_urlsafe(32)}") for _ in range(REQUESTS)
        }
    finally:
        event.remove(container.engine, "before_cursor_execute", count)

    assert statuses == {401}
    assert 0 < len(statements) < 50, statements[:5]
