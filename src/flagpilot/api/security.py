"""Bearer-token checks as FastAPI dependencies: who may call which route.

    principal = Depends(require(authenticator, TokenKind.SERVER_SDK))

A missing or unknown token is 401 (with `WWW-Authenticate: Bearer`); a token of the wrong kind,
organization or environment is 403. Client-SDK keys ship inside web pages, so the widget route
also takes them as a `key` query parameter, where a `<script>` tag can carry them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flagpilot.services.auth import Authenticator, Principal, TokenKind
from flagpilot.services.errors import PermissionDenied, Unauthenticated

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token: `Authorization: Bearer fp_<kind>_…`.",
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
KeyParam = Annotated[
    str | None,
    Query(description="A client-SDK key, for callers that cannot send an Authorization header."),
]

PrincipalDependency = Callable[..., Awaitable[Principal]]


def authenticate(authenticator: Authenticator, request: Request, secret: str | None) -> Principal:
    """The principal of `secret`, remembered on the request for the access log.

    Raises:
        Unauthenticated: no secret, or one no token has.
    """
    if not secret:
        raise Unauthenticated("this endpoint needs an API token: Authorization: Bearer <token>")
    principal = authenticator.authenticate(secret)
    if principal is None:
        raise Unauthenticated("the API token is unknown or revoked")
    request.state.token_id = principal.token_id
    return principal


def _check_kind(principal: Principal, kinds: frozenset[TokenKind]) -> Principal:
    if principal.kind not in kinds:
        allowed = ", ".join(sorted(kind.value for kind in kinds))
        raise PermissionDenied(f"a {principal.kind.value} token cannot call this endpoint (needs {allowed})")
    return principal


def require(authenticator: Authenticator, *kinds: TokenKind, query_key: bool = False) -> PrincipalDependency:
    """A dependency admitting only tokens of `kinds`; `query_key` also reads `?key=`."""
    allowed = frozenset(kinds)
    if query_key:

        async def from_header_or_query(request: Request, bearer: Bearer, key: KeyParam = None) -> Principal:
            secret = bearer.credentials if bearer is not None else key
            return _check_kind(authenticate(authenticator, request, secret), allowed)

        return from_header_or_query

    async def from_header(request: Request, bearer: Bearer) -> Principal:
        return _check_kind(
            authenticate(authenticator, request, None if bearer is None else bearer.credentials), allowed
        )

    return from_header


def scoped_environment(principal: Principal, requested: str | None, default: str) -> str:
    """The environment a request evaluates in: the token's, else the one asked for, else the default.

    Raises:
        PermissionDenied: the token is confined to another environment than the one asked for.
    """
    if principal.environment is not None:
        if requested and requested != principal.environment:
            raise PermissionDenied(f"this token is confined to environment {principal.environment!r}")
        return principal.environment
    return requested or default


def scoped_organization(principal: Principal, requested: str | None) -> str | None:
    """The organization a request evaluates for, within the token's organization if it has one.

    Raises:
        PermissionDenied: the token is confined to another organization than the one asked for.
    """
    if principal.organization_id is not None:
        if requested and requested != principal.organization_id:
            raise PermissionDenied("this token is confined to another organization")
        return principal.organization_id
    return requested or None
