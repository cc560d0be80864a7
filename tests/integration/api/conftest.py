"""The whole application over a real database of each kind, in process.

`client` runs `create_asgi_app` on a fresh migrated database (SQLite, then PostgreSQL) with the
chat-widget preset installed, inside its real lifespan, over httpx's ASGI transport; `issue`
makes tokens through the token service the server itself uses. Nothing is faked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from flagpilot.server import Container
from flagpilot.server.asgi import create_asgi_app
from flagpilot.services.auth import TokenKind
from flagpilot.services.flags import install_preset
from flagpilot.settings import Settings

ADMIN_SECRET = "integration-admin-secret"

Issue = Callable[..., dict[str, str]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(database_url: str) -> FastAPI:
    """The app on `database_url` with the preset installed (its lifespan not yet started)."""
    settings = Settings(
        database_url=database_url,
        bootstrap_admin_token=ADMIN_SECRET,
        access_log=False,
    )
    built = create_asgi_app(settings)
    install_preset(built.state.container.flag_manager, actor="tests")
    return built


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app`, inside the app's lifespan (schema check, cache, bootstrap token)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
            yield http


@pytest.fixture
def container(app: FastAPI) -> Container:
    """The container the app under test runs on."""
    found: Container = app.state.container
    return found


@pytest.fixture
def issue(container: Container) -> Issue:
    """`issue(kind, org=None, env=None)`: the `Authorization` header of a new token."""

    def make(kind: str, org: str | None = None, env: str | None = None) -> dict[str, str]:
        _, secret = container.tokens.create(TokenKind(kind), org, env, f"test {kind}", "tests")
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def admin() -> dict[str, str]:
    """The bootstrap admin token's header."""
    return {"Authorization": f"Bearer {ADMIN_SECRET}"}
