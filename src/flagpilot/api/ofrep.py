"""The OpenFeature Remote Evaluation Protocol (OFREP): any OpenFeature SDK can evaluate here.

Routes as specified in the OFREP OpenAPI document (open-feature/protocol, `service/openapi.yaml`):
single evaluation, used by server providers, and bulk evaluation, used by client providers that
evaluate every flag once and re-check with `If-None-Match`. Both accept server- and client-SDK
tokens. The environment is the token's, else the context's `environment` attribute, else the
server's default; `targetingKey` is the customer id.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from starlette.responses import Response

from flagpilot.api.caching import digest, matches, not_modified
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.jsonio import canonical_dumps, dumps, json_response
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.ofrep_request import OfrepContext, OfrepError, error_body, parse_context
from flagpilot.api.schemas import (
    PROBLEM_RESPONSES,
    OfrepBulk,
    OfrepBulkFailure,
    OfrepFailure,
    OfrepRequest,
    OfrepSuccess,
)
from flagpilot.api.security import require, scoped_environment, scoped_organization
from flagpilot.core import ErrorCode, EvaluationContext, EvaluationResult, Snapshot
from flagpilot.services.auth import Principal, TokenKind
from flagpilot.services.errors import EnvironmentNotFound
from flagpilot.services.snapshots import SnapshotProvider

_REQUEST_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": OfrepRequest.model_json_schema()}},
    }
}
_HEADERS = {"Cache-Control": "private, no-cache"}


def success_body(result: EvaluationResult, environment: str) -> dict[str, Any]:
    """An OFREP `evaluationSuccess`; the snapshot version and tier travel as metadata."""
    metadata: dict[str, Any] = {"version": result.version, "environment": environment}
    if result.tier is not None:
        metadata["tier"] = result.tier.value
    return {
        "key": result.key,
        "value": result.value,
        "reason": result.reason.value,
        # OFREP providers expect a variant on every success; non-boolean values are named by reason.
        "variant": result.variant or result.reason.value.lower(),
        "metadata": metadata,
    }


def _ofrep_failure(error: OfrepError, key: str | None = None) -> Response:
    return json_response(error_body(error.code, error.details, key), error.status)


class _Resolver:
    """Turns a principal and a parsed context into a snapshot and an evaluation context."""

    def __init__(self, snapshots: SnapshotProvider, default_environment: str) -> None:
        self.snapshots = snapshots
        self.default_environment = default_environment

    def resolve(self, principal: Principal, context: OfrepContext) -> tuple[Snapshot, EvaluationContext, str]:
        environment = scoped_environment(principal, context.environment, self.default_environment)
        attributes = context.attributes
        organization = scoped_organization(principal, attributes.get("organizationId"))
        if organization is not None and organization != attributes.get("organizationId"):
            attributes = {**attributes, "organizationId": organization}
        try:
            snapshot = self.snapshots.get(environment)
        except EnvironmentNotFound as exc:
            raise OfrepError(ErrorCode.INVALID_CONTEXT, exc.detail) from None
        return snapshot, EvaluationContext.from_dict(attributes), environment


def ofrep_router(deps: ApiDependencies, metrics: ApiMetrics) -> APIRouter:
    """The OFREP routes over `deps`' snapshots."""
    router = APIRouter(prefix="/ofrep/v1", tags=["OFREP"])
    resolver = _Resolver(deps.snapshots, deps.default_environment)
    count = metrics.count
    sdk = Depends(require(deps.authenticator, TokenKind.SERVER_SDK, TokenKind.CLIENT_SDK))

    @router.post(
        "/evaluate/flags/{key}",
        summary="Evaluate one flag (OFREP single evaluation)",
        response_model=None,
        openapi_extra=_REQUEST_BODY,
        responses={
            200: {"model": OfrepSuccess},
            400: {
                "model": OfrepFailure,
                "description": "PARSE_ERROR, INVALID_CONTEXT or TARGETING_KEY_MISSING.",
            },
            404: {"model": OfrepFailure, "description": "FLAG_NOT_FOUND."},
            **PROBLEM_RESPONSES,
        },
    )
    async def evaluate_flag(
        request: Request, principal: Annotated[Principal, sdk], key: Annotated[str, Path(max_length=256)]
    ) -> Response:
        """The value of flag `key` for the context, and why."""
        try:
            snapshot, context, environment = resolver.resolve(principal, parse_context(await request.body()))
        except OfrepError as error:
            return _ofrep_failure(error, key)
        result = snapshot.evaluate(key, context)
        count((result,))
        if result.error_code is ErrorCode.FLAG_NOT_FOUND:
            return json_response(error_body(result.error_code, result.error_message or "", key), 404)
        if result.error_code is not None:
            return json_response(error_body(result.error_code, result.error_message or "", key), 400)
        return json_response(success_body(result, environment))

    @router.post(
        "/evaluate/flags",
        summary="Evaluate every flag (OFREP bulk evaluation)",
        response_model=None,
        openapi_extra=_REQUEST_BODY,
        responses={
            200: {"model": OfrepBulk, "description": "Every flag; failures per flag. Carries an `ETag`."},
            304: {"description": "Nothing changed since the `If-None-Match` tag."},
            400: {"model": OfrepBulkFailure, "description": "PARSE_ERROR or INVALID_CONTEXT."},
            **PROBLEM_RESPONSES,
        },
    )
    async def evaluate_flags(
        request: Request,
        principal: Annotated[Principal, sdk],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Every flag of the environment for the context; re-ask with `If-None-Match`."""
        try:
            snapshot, context, environment = resolver.resolve(principal, parse_context(await request.body()))
        except OfrepError as error:
            return _ofrep_failure(error)
        etag = '"' + digest(environment, snapshot.version, snapshot.flags_enabled, _canonical(context)) + '"'
        if matches(if_none_match, etag):
            return not_modified(etag, _HEADERS)
        results = snapshot.evaluate_all(context)
        count(results.values())
        flags = [
            success_body(result, environment)
            if result.error_code is None
            else error_body(result.error_code, result.error_message or "", key)
            for key, result in results.items()
        ]
        return Response(
            dumps({"flags": flags}), media_type="application/json", headers={**_HEADERS, "ETag": etag}
        )

    @router.get("/configuration", summary="What this server supports (OFREP configuration)")
    async def configuration(principal: Annotated[Principal, sdk]) -> dict[str, Any]:
        """Capabilities for OFREP providers: polling is supported, every value type is."""
        return {
            "name": "flagpilot",
            "capabilities": {
                "cacheInvalidation": {"polling": {"enabled": True, "minPollingIntervalMs": 1000}},
                "flagEvaluation": {"supportedTypes": ["boolean", "string", "int", "float", "object"]},
            },
        }

    return router


def _canonical(context: EvaluationContext) -> bytes:
    """The context in one canonical form, so equal contexts get equal entity tags."""
    return canonical_dumps([context.customer_id, context.organization_id, context.attributes])
