"""Bearer-token checks as FastAPI dependencies: who may call which route.

    principal = Depends(require(authenticator, TokenKind.SERVER_SDK))

The hot routes (widget, OFREP) call `admit_without_blocking` themselves rather than through
FastAPI's dependency machinery, which costs more than the whole evaluation. A secret the
authenticator remembers is answered on the event loop; one it must look up in storage is looked up
in a worker thread, so no request waits behind another's database round trip. A missing or
unknown token is 401 (with `WWW-Authenticate: Bearer`); a token of the wrong kind, organization
or environment is 403.
Client-SDK keys ship inside web pages, so the widget route also takes them as a `key` query
parameter, where a `<script>` tag can carry them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from flagpilot.services.auth import NOT_REMEMBERED, Authenticator, Principal, TokenKind
from flagpilot.services.errors import PermissionDenied, Unauthenticated

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token: `Authorization: Bearer fp_<kind>_…`.",
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

PrincipalDependency = Callable[..., Awaitable[Principal]]


def admit(
    authenticator: Authenticator, scope: Scope, secret: str | None, kinds: frozenset[TokenKind]
) -> Principal:
    """The principal of `secret` if it is of one of `kinds`; its id is noted for the access log.

    Raises:
        Unauthenticated: no secret, or one no token has.
        PermissionDenied: a token of another kind.
    """
    return _admitted(scope, authenticator.authenticate(_required(secret)), kinds)


async def admit_without_blocking(
    authenticator: Authenticator, scope: Scope, secret: str | None, kinds: frozenset[TokenKind]
) -> Principal:
    """`admit` for the event loop (same errors): a secret not remembered is looked up in a thread."""
    required = _required(secret)
    remembered = authenticator.recall(required)
    if remembered is NOT_REMEMBERED:
        return _admitted(scope, await to_thread.run_sync(authenticator.authenticate, required), kinds)
    return _admitted(scope, remembered, kinds)


def _required(secret: str | None) -> str:
    if not secret:
        raise Unauthenticated("this endpoint needs an API token: Authorization: Bearer <token>")
    return secret


def _admitted(scope: Scope, principal: Principal | None, kinds: frozenset[TokenKind]) -> Principal:
    if principal is None:
        raise Unauthenticated("the API token is unknown or revoked")
    scope.setdefault("state", {})["token_id"] = principal.token_id
    if principal.kind not in kinds:
        allowed = ", ".join(sorted(kind.value for kind in kinds))
        article = "an" if principal.kind.value[0] in "aeiou" else "a"
        raise PermissionDenied(
            f"{article} {principal.kind.value} token cannot call this endpoint (needs {allowed})"
        )
    return principal


def bearer_secret(authorization: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header value."""
    if authorization is None:
        return None
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def require(authenticator: Authenticator, *kinds: TokenKind) -> PrincipalDependency:
    """A dependency admitting only bearer tokens of `kinds`."""
    allowed = frozenset(kinds)

    async def from_header(request: Request, bearer: Bearer) -> Principal:
        secret = None if bearer is None else bearer.credentials
        return await admit_without_blocking(authenticator, request.scope, secret, allowed)

    return from_header


def require_unconfined(principal: Principal) -> None:
    """Refuse a token confined to an organization or an environment: the route spans them all.

    Flag definitions, imports, exports, the audit trail and token management reach every tenant
    and every environment, so a confined token could otherwise step outside its confinement.

    Raises:
        PermissionDenied: the token is confined to an organization or an environment.
    """
    if principal.organization_id is not None:
        raise PermissionDenied("a token confined to one organization cannot call this endpoint")
    if principal.environment is not None:
        raise PermissionDenied("a token confined to one environment cannot call this endpoint")


def require_all_organizations(principal: Principal) -> None:
    """Refuse a token confined to one organization (the route spans every tenant).

    Raises:
        PermissionDenied: the token is confined to an organization.
    """
    if principal.organization_id is not None:
        raise PermissionDenied(
            "a token confined to one organization may only read and change that organization's overrides"
        )


def confined_environment(principal: Principal, requested: str | None) -> str | None:
    """The token's environment, else the one asked for (None when neither names one).

    Raises:
        PermissionDenied: the token is confined to another environment than the one asked for.
    """
    if principal.environment is not None:
        if requested and requested != principal.environment:
            raise PermissionDenied(f"this token is confined to environment {principal.environment!r}")
        return principal.environment
    return requested or None


def scoped_environment(principal: Principal, requested: str | None, default: str) -> str:
    """The environment a request evaluates in: the token's, else the one asked for, else the default.

    Raises:
        PermissionDenied: the token is confined to another environment than the one asked for.
    """
    return confined_environment(principal, requested) or default


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
