"""Token management by confined admins: a token confined to an environment stays inside it."""

from __future__ import annotations

import httpx
import pytest

from flagpilot.services.auth import TokenKind
from flagpilot.services.tokens import TokenService
from tests.unit.api.conftest import bearer

pytestmark = pytest.mark.anyio

TOKENS = "/api/admin/tokens"


def issue(
    tokens: TokenService, kind: TokenKind, organization: str | None = None, environment: str | None = None
) -> str:
    return tokens.create(kind, organization, environment, "confined", "tests")[1]


async def test_issue__by_an_environment_confined_admin__inherits_its_environment(
    client: httpx.AsyncClient, tokens: TokenService
) -> None:
    # Given an admin token confined to staging
    staging_admin = issue(tokens, TokenKind.ADMIN, environment="staging")

    # When it issues a token without naming an environment, and one for production
    inherited = await client.post(
        TOKENS, json={"kind": "admin", "name": "ops"}, headers=bearer(staging_admin)
    )
    elsewhere = await client.post(
        TOKENS,
        json={"kind": "viewer", "name": "ops", "environment": "production"},
        headers=bearer(staging_admin),
    )

    # Then the first is confined to staging too, and the second is refused
    assert inherited.status_code == 201
    assert inherited.json()["environment"] == "staging"
    assert elsewhere.status_code == 403


async def test_list_and_revoke__by_an_environment_confined_admin__reach_only_its_environment(
    client: httpx.AsyncClient, tokens: TokenService
) -> None:
    staging_admin = issue(tokens, TokenKind.ADMIN, environment="staging")
    production_token = tokens.create(TokenKind.VIEWER, None, "production", "prod", "tests")[0]

    listed = await client.get(TOKENS, headers=bearer(staging_admin))
    revoked = await client.delete(f"{TOKENS}/{production_token.token_id}", headers=bearer(staging_admin))

    assert {token["environment"] for token in listed.json()} == {"staging"}
    assert revoked.status_code == 404
    assert tokens.get(production_token.token_id).revoked_at is None
