"""The OpenFeature Remote Evaluation Protocol (OFREP): any OpenFeature SDK can evaluate here.

Routes as specified in the OFREP OpenAPI document (open-feature/protocol, `service/openapi.yaml`):
single evaluation, used by server providers, and bulk evaluation, used by client providers that
evaluate every flag once and re-check with `If-None-Match`. Both accept server- and client-SDK
tokens. The environment is the token's, else the context's `environment` attribute, else the
server's default; `targetingKey` is the customer id. Both are hot routes, served by `fastpath`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from flagpilot.api.caching import EVALUATION_CACHE_CONTROL, etag_of, matches, not_modified
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.fastpath import HotRoute
from flagpilot.api.jsonio import JsonBytes, json_response
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.ofrep_bodies import ResultBodies
from flagpilot.api.ofrep_request import OfrepContext, OfrepError, error_body, parse_context
from flagpilot.api.params import MAX_ID_LENGTH
from flagpilot.api.problems import ANSWERABLE, response_for
from flagpilot.api.rawhttp import headers, request_body
from flagpilot.api.schemas import (
    BEARER,
    PROBLEM_RESPONSES,
    OfrepBulk,
    OfrepBulkFailure,
    OfrepFailure,
    OfrepRequest,
    OfrepSuccess,
)
from flagpilot.api.security import (
    admit_without_blocking,
    bearer_secret,
    scoped_environment,
    scoped_organization,
)
from flagpilot.core import ErrorCode, EvaluationContext, Snapshot
from flagpilot.services.auth import Principal, TokenKind
from flagpilot.services.errors import EnvironmentNotFound

PREFIX = "/ofrep/v1"
_SDK_TOKENS = frozenset({TokenKind.SERVER_SDK, TokenKind.CLIENT_SDK})
_HEADERS = {"Cache-Control": EVALUATION_CACHE_CONTROL}
_RAW_HEADERS = ((b"cache-control", EVALUATION_CACHE_CONTROL.encode()),)


class _Evaluation:
    """What both OFREP handlers share: authenticate, read the context, pick the snapshot."""

    def __init__(self, deps: ApiDependencies, metrics: ApiMetrics, bodies: ResultBodies) -> None:
        self.bodies = bodies
        self.snapshots = deps.snapshots
        self.authenticator = deps.authenticator
        self.default_environment = deps.default_environment
        self.max_body_bytes = deps.max_body_bytes
        self.count = metrics.count
        self.count_one = metrics.count_one
        self.evaluations = deps.evaluations

    async def prepare(
        self, scope: Scope, receive: Receive, authorization: str | None
    ) -> tuple[Snapshot, EvaluationContext, str]:
        """The snapshot, context and environment of a request with this `Authorization` header.

        Raises:
            ServiceError: the token is missing, unknown, or may not evaluate here.
            OfrepError: the body or context is malformed, or names an unknown environment.
        """
        principal = await admit_without_blocking(
            self.authenticator, scope, bearer_secret(authorization), _SDK_TOKENS
        )
        context = parse_context(await request_body(scope, receive, self.max_body_bytes))
        environment = scoped_environment(principal, context.environment, self.default_environment)
        return self._snapshot(environment), _evaluation_context(principal, context), environment

    def _snapshot(self, environment: str) -> Snapshot:
        try:
            return self.snapshots.get(environment)
        except EnvironmentNotFound as exc:
            raise OfrepError(ErrorCode.INVALID_CONTEXT, exc.detail) from None


def _evaluation_context(principal: Principal, context: OfrepContext) -> EvaluationContext:
    attributes = context.attributes
    organization = scoped_organization(principal, attributes.get("organizationId"))
    if organization != attributes.get("organizationId"):
        attributes = {**attributes, "organizationId": organization}
    return EvaluationContext.from_dict(attributes)


class SingleHandler(_Evaluation):
    """`POST /ofrep/v1/evaluate/flags/{key}`."""

    async def __call__(self, scope: Scope, receive: Receive) -> Response:
        key: str = scope["path_params"]["key"]
        try:
            if len(key) > MAX_ID_LENGTH:
                raise OfrepError(
                    ErrorCode.FLAG_NOT_FOUND, f"flag keys are at most {MAX_ID_LENGTH} characters", 404
                )
            (authorization,) = headers(scope, b"authorization")
            snapshot, context, environment = await self.prepare(scope, receive, authorization)
        except ANSWERABLE as error:
            return response_for(error)
        except OfrepError as error:
            return json_response(error_body(error.code, error.details, key), error.status)
        result = snapshot.evaluate(key, context)
        self.count_one(result)
        if self.evaluations is not None and result.error_code is not ErrorCode.FLAG_NOT_FOUND:
            self.evaluations.count(environment, (key,))
        if result.error_code is not None:
            status = 404 if result.error_code is ErrorCode.FLAG_NOT_FOUND else 400
            return json_response(error_body(result.error_code, result.error_message or "", key), status)
        return JsonBytes(self.bodies.one(environment, snapshot, result))


class BulkHandler(_Evaluation):
    """`POST /ofrep/v1/evaluate/flags`, with a strong entity tag of the answer's bytes.

    The tag is the body's own: a context whose flags answer the same as another's gets the
    same tag, and any change of value, reason, tier or snapshot version changes it (the version
    is in every entry). An answer is assembled from remembered documents (`ofrep_bodies`) for
    less than the tag of its context would cost, so a revalidation is answered after it.
    """

    async def __call__(self, scope: Scope, receive: Receive) -> Response:
        try:
            authorization, if_none_match = headers(scope, b"authorization", b"if-none-match")
            snapshot, context, environment = await self.prepare(scope, receive, authorization)
        except ANSWERABLE as error:
            return response_for(error)
        except OfrepError as error:
            return json_response(error_body(error.code, error.details), error.status)
        results = snapshot.evaluate_all(context)
        keys = tuple(results)
        self.count(keys, results.values())
        if self.evaluations is not None:
            self.evaluations.count(environment, keys)
        body = self.bodies.bulk(environment, snapshot, results.values())
        etag = etag_of(body)
        if matches(if_none_match, etag):
            return not_modified(etag, _HEADERS)
        return JsonBytes(body, (*_RAW_HEADERS, (b"etag", etag.encode("latin-1"))))


_REQUEST_BODY = {
    "required": False,
    "content": {"application/json": {"schema": OfrepRequest.model_json_schema()}},
}


def ofrep_routes(deps: ApiDependencies, metrics: ApiMetrics) -> tuple[APIRouter, list[HotRoute]]:
    """The OFREP routes, for the OpenAPI document and for the fast dispatcher."""
    bodies = ResultBodies()
    single, bulk = SingleHandler(deps, metrics, bodies), BulkHandler(deps, metrics, bodies)
    router = APIRouter(prefix=PREFIX, tags=["OFREP"])
    key_parameter = {
        "name": "key",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": MAX_ID_LENGTH},
    }
    if_none_match = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}}

    @router.post(
        "/evaluate/flags/{key}",
        summary="Evaluate one flag (OFREP single evaluation)",
        response_model=None,
        openapi_extra={"parameters": [key_parameter], "requestBody": _REQUEST_BODY, "security": BEARER},
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
    async def evaluate_flag(request: Request) -> Response:
        """The value of flag `key` for the context, and why."""
        return await single(request.scope, request.receive)

    @router.post(
        "/evaluate/flags",
        summary="Evaluate every flag (OFREP bulk evaluation)",
        response_model=None,
        openapi_extra={"parameters": [if_none_match], "requestBody": _REQUEST_BODY, "security": BEARER},
        responses={
            200: {"model": OfrepBulk, "description": "Every flag; failures per flag. Carries an `ETag`."},
            304: {"description": "Nothing changed since the `If-None-Match` tag."},
            400: {"model": OfrepBulkFailure, "description": "PARSE_ERROR or INVALID_CONTEXT."},
            **PROBLEM_RESPONSES,
        },
    )
    async def evaluate_flags(request: Request) -> Response:
        """Every flag of the environment for the context; re-ask with `If-None-Match`."""
        return await bulk(request.scope, request.receive)

    @router.get(
        "/configuration",
        summary="What this server supports (OFREP configuration)",
        responses=PROBLEM_RESPONSES,
    )
    async def configuration(request: Request) -> dict[str, Any]:
        """Capabilities for OFREP providers: polling is supported, every value type is."""
        (authorization,) = headers(request.scope, b"authorization")
        secret = bearer_secret(authorization)
        await admit_without_blocking(deps.authenticator, request.scope, secret, _SDK_TOKENS)
        return {
            "name": "flagpilot",
            "capabilities": {
                "cacheInvalidation": {"polling": {"enabled": True, "minPollingIntervalMs": 1000}},
                "flagEvaluation": {"supportedTypes": ["boolean", "string", "int", "float", "object"]},
            },
        }

    routes = [
        HotRoute("POST", f"{PREFIX}/evaluate/flags/{{key}}", single),
        HotRoute("POST", f"{PREFIX}/evaluate/flags", bulk),
    ]
    return router, routes
