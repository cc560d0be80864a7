"""/api/admin/tokens: admins issue, list and revoke tokens; secrets are shown once."""

from __future__ import annotations

import httpx
import pytest

from flagpilot.services.auth import TokenKind
from flagpilot.services.tokens import TokenService
from tests.unit.api.conftest import Keys, bearer

pytestmark = pytest.mark.anyio

PATH = "/api/admin/tokens"


async def test_issue__returns_the_secret_once_and_the_secret_works(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    issued = await client.post(
        PATH,
        json={"kind": "client-sdk", "name": "shop widget", "environment": "staging"},
        headers=bearer(keys.admin),
    )
    secret = issued.json()["secret"]

    listed = await client.get(PATH, headers=bearer(keys.admin))
    widget = await client.get("/api/widget/config", params={"key": secret})

    assert issued.status_code == 201
    assert secret.startswith("fp_client-sdk_")
    assert secret not in listed.text
    assert widget.status_code == 200


async def test_revoke__stops_the_token_working(
    client: httpx.AsyncClient, keys: Keys, tokens: TokenService
) -> None:
    token_id = next(t.token_id for t in tokens.list() if t.kind is TokenKind.CLIENT_SDK)

    revoked = await client.delete(f"{PATH}/{token_id}", headers=bearer(keys.admin))
    widget = await client.get("/api/widget/config", params={"key": keys.client})

    assert revoked.json()["revokedAt"] is not None
    assert widget.status_code == 401


async def test_revoke__unknown_token__is_404(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.delete(f"{PATH}/tok_nope", headers=bearer(keys.admin))

    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["viewer", "server", "client"])
async def test_tokens__non_admin__is_forbidden(client: httpx.AsyncClient, keys: Keys, kind: str) -> None:
    response = await client.get(PATH, headers=bearer(getattr(keys, kind)))

    assert response.status_code == 403


async def test_issue__organization_admin__cannot_issue_for_another_organization(
    client: httpx.AsyncClient, tokens: TokenService
) -> None:
    _, org_admin = tokens.create(TokenKind.ADMIN, "org-a", None, "org admin", "tests")

    other = await client.post(
        PATH, json={"kind": "viewer", "name": "x", "organizationId": "org-b"}, headers=bearer(org_admin)
    )
    own = await client.post(PATH, json={"kind": "viewer", "name": "x"}, headers=bearer(org_admin))

    assert other.status_code == 403
    assert own.json()["organizationId"] == "org-a"


async def test_revoke__another_organizations_token__is_not_found(
    client: httpx.AsyncClient, tokens: TokenService, keys: Keys
) -> None:
    _, org_admin = tokens.create(TokenKind.ADMIN, "org-b", None, "org admin", "tests")
    victim = next(t for t in tokens.list() if t.kind is TokenKind.SERVER_SDK)

    response = await client.delete(f"{PATH}/{victim.token_id}", headers=bearer(org_admin))

    assert response.status_code == 404
    assert tokens.get(victim.token_id).active
