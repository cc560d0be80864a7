"""An API over a fixed production snapshot and in-memory tokens of every kind.

The snapshot is the preset plus what the serving routes must show: a 50% rollout of
`phase2_enhanced_storage` with a customer override (`vip`) and an organization override
(`org-a`), and a number flag `max_retries`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

import httpx
import pytest
from fastapi import FastAPI

from flagpilot.api import ApiDependencies, create_app
from flagpilot.core import EnvironmentConfig, FlagState, FlagType, Snapshot, frozen_mapping
from flagpilot.presets import preset_states
from flagpilot.services.auth import TokenKind
from flagpilot.services.snapshots import StaticSnapshotProvider
from flagpilot.services.tokens import TokenService
from tests.fakes.tokens import InMemoryTokenStore
from tests.unit.builders import flag, rollout

ROLLOUT_FLAG = "phase2_enhanced_storage"
NUMBER_FLAG = "max_retries"


def production(version: int = 7, *, flags_enabled: bool = True, percentage: float = 50.0) -> Snapshot:
    """The test snapshot of production at `version`."""
    config = EnvironmentConfig(
        rollout=rollout(percentage),
        customer_overrides=frozen_mapping({"vip": True}),
        organization_overrides=frozen_mapping({"org-a": True}),
    )
    states: list[FlagState] = [
        replace(state, config=config) if state.key == ROLLOUT_FLAG else state
        for state in preset_states("production")
    ]
    states.append(flag(NUMBER_FLAG, type=FlagType.NUMBER, default=3))
    return Snapshot(states, environment="production", version=version, flags_enabled=flags_enabled)


def staging() -> Snapshot:
    """Staging: the preset, at version 2."""
    return Snapshot(preset_states("staging"), environment="staging", version=2)


@dataclass(frozen=True)
class Keys:
    """Secrets of one token of each kind, plus scoped ones."""

    admin: str
    viewer: str
    server: str
    client: str
    org_client: str
    staging_client: str
    org_server: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(InMemoryTokenStore())


@pytest.fixture
def keys(tokens: TokenService) -> Keys:
    def issue(kind: TokenKind, organization: str | None = None, environment: str | None = None) -> str:
        return tokens.create(kind, organization, environment, f"test {kind}", "tests")[1]

    return Keys(
        admin=issue(TokenKind.ADMIN),
        viewer=issue(TokenKind.VIEWER),
        server=issue(TokenKind.SERVER_SDK),
        client=issue(TokenKind.CLIENT_SDK),
        org_client=issue(TokenKind.CLIENT_SDK, organization="org-a"),
        staging_client=issue(TokenKind.CLIENT_SDK, environment="staging"),
        org_server=issue(TokenKind.SERVER_SDK, organization="org-a"),
    )


@pytest.fixture
def snapshots() -> StaticSnapshotProvider:
    return StaticSnapshotProvider({"production": production(), "staging": staging()})


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(snapshots: StaticSnapshotProvider, tokens: TokenService) -> AppFactory:
    """Build an app over the test snapshots and tokens; keyword arguments override dependencies."""

    def build(**overrides: object) -> FastAPI:
        deps = ApiDependencies(snapshots=snapshots, authenticator=tokens, tokens=tokens, access_log=False)
        return create_app(replace(deps, **overrides))  # type: ignore[arg-type]

    return build


@pytest.fixture
async def client(make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the default app in-process."""
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        yield http


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for `secret`."""
    return {"Authorization": f"Bearer {secret}"}
