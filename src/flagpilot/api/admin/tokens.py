"""Token administration: issue, list and revoke API tokens (admin tokens only).

An organization's admin token manages that organization's tokens only, and cannot issue a token
for all organizations. The secret of a new token is in the creation response and nowhere else.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from flagpilot.api.admin.access import actor_of
from flagpilot.api.schemas import PROBLEM_RESPONSES, Camel, ValidationProblem, problem_doc
from flagpilot.api.security import confined_environment, require, scoped_organization
from flagpilot.services.auth import Authenticator, Principal, TokenKind
from flagpilot.services.errors import TokenNotFound
from flagpilot.services.tokens import TokenInfo, TokenService


class NewToken(Camel):
    """What to issue."""

    kind: TokenKind
    name: str = Field(min_length=1, max_length=200)
    organization_id: str | None = Field(default=None, max_length=128)
    environment: str | None = Field(default=None, max_length=64)


class TokenView(Camel):
    """A token without its secret."""

    token_id: str
    kind: TokenKind
    name: str
    organization_id: str | None
    environment: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    hint: str


class IssuedToken(TokenView):
    """A new token with its secret, shown this once."""

    secret: str


def _view(token: TokenInfo) -> dict[str, Any]:
    return TokenView.model_validate(token, from_attributes=True).model_dump(mode="json", by_alias=True)


def _within_confinement(principal: Principal, token: TokenInfo) -> bool:
    """Whether `token` lies inside the organization and environment `principal` is confined to."""
    return principal.organization_id in (None, token.organization_id) and principal.environment in (
        None,
        token.environment,
    )


def tokens_router(tokens: TokenService, authenticator: Authenticator) -> APIRouter:
    """`/api/admin/tokens` over `tokens`."""
    router = APIRouter(prefix="/api/admin/tokens", tags=["tokens"])
    admin = Depends(require(authenticator, TokenKind.ADMIN))

    @router.post(
        "",
        status_code=201,
        summary="Issue a token",
        response_model=IssuedToken,
        responses={422: problem_doc("A field is missing or wrong.", ValidationProblem), **PROBLEM_RESPONSES},
    )
    def issue(body: NewToken, principal: Annotated[Principal, admin]) -> dict[str, Any]:
        """Issue a token; its secret is in this response only."""
        # A confined admin issues tokens inside its own confinement only.
        organization = scoped_organization(principal, body.organization_id)
        environment = confined_environment(principal, body.environment)
        token, secret = tokens.create(body.kind, organization, environment, body.name, actor_of(principal))
        return {**_view(token), "secret": secret}

    @router.get("", summary="List tokens", response_model=list[TokenView], responses=PROBLEM_RESPONSES)
    def list_tokens(principal: Annotated[Principal, admin]) -> list[dict[str, Any]]:
        """Every token the caller may see, without secrets."""
        return [
            _view(token)
            for token in tokens.list(principal.organization_id)
            if _within_confinement(principal, token)
        ]

    @router.delete(
        "/{token_id}",
        summary="Revoke a token",
        response_model=TokenView,
        responses={404: problem_doc("No such token."), **PROBLEM_RESPONSES},
    )
    def revoke(token_id: str, principal: Annotated[Principal, admin]) -> dict[str, Any]:
        """Stop accepting a token from now on."""
        token = tokens.get(token_id)
        if not _within_confinement(principal, token):
            raise TokenNotFound(
                f"token {token_id!r} does not exist"
            )  # outside the caller's confinement: not even its existence
        return _view(tokens.revoke(token_id, actor_of(principal)))

    return router
