"""A synchronous client for an ASGI app in unit tests, over httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import ASGIApp


class SyncClient:
    """Requests to an ASGI app, one event loop per call (the apps tested keep no loop state)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request; the response, read whole."""

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9000") as http:
                return await http.request(method, path, **options)

        return asyncio.run(call())

    def get(self, path: str, **options: Any) -> httpx.Response:
        """A GET."""
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> httpx.Response:
        """A POST."""
        return self.request("POST", path, **options)

    def options(self, path: str, **options: Any) -> httpx.Response:
        """An OPTIONS (a CORS preflight)."""
        return self.request("OPTIONS", path, **options)
