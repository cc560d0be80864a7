"""`GET /api/widget/config`: the chat widget's configuration for one visitor.

This is the hottest route: every page view with the widget asks it. The document depends only
on nine booleans, so its bytes and entity tag are made once per combination and reused; a
request evaluates those nine flags only (not every flag of the environment), builds a tuple and
looks it up, and is served by `fastpath`
without the framework's per-request machinery. Without `customerId` the visitor is anonymous and
gets the defaults, environment values and 100% rollouts — a partial rollout answers its default
(the evaluation's `TARGETING_KEY_MISSING` result carries it), not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from flagpilot.api.caching import EVALUATION_CACHE_CONTROL, etag_of, matches, not_modified
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.fastpath import HotRoute
from flagpilot.api.jsonio import JsonBytes
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.params import MAX_ID_LENGTH, check_lengths, query_parameter
from flagpilot.api.problems import ANSWERABLE, response_for
from flagpilot.api.rawhttp import headers, query_params
from flagpilot.api.schemas import BEARER, PROBLEM_RESPONSES, ValidationProblem, WidgetDocument, problem_doc
from flagpilot.api.security import (
    admit_without_blocking,
    bearer_secret,
    scoped_environment,
    scoped_organization,
)
from flagpilot.core import EvaluationContext, EvaluationResult
from flagpilot.presets import WIDGET_FIELDS, widget_document
from flagpilot.services.auth import TokenKind

PATH = "/api/widget/config"

# The flags the document reads, in a fixed order: its bytes are a function of their values.
_WIDGET_KEYS = tuple(key for fields in WIDGET_FIELDS.values() for key in fields.values())
_HEADERS = {"Cache-Control": EVALUATION_CACHE_CONTROL}
_ANY_TOKEN = frozenset(TokenKind)
_CLIENT_KEY = frozenset({TokenKind.CLIENT_SDK})
_PARAMETERS = ("customerId", "organizationId", "environment", "key")


Rendered = tuple[bytes, str, tuple[tuple[bytes, bytes], ...]]


class WidgetRenderer:
    """Widget documents as bytes with their entity tags, cached by the flag values they show."""

    def __init__(self) -> None:
        self._cache: dict[tuple[bool, ...], Rendered] = {}

    def render(self, results: Mapping[str, EvaluationResult]) -> Rendered:
        """The document's bytes, its strong ETag, and the response headers for
        `snapshot.evaluate_many(_WIDGET_KEYS, …)`'s answer (which keeps the keys' order)."""
        if len(results) == len(_WIDGET_KEYS):  # every flag exists: they are in the document's order
            shown = tuple([result.value is True for result in results.values()])
        else:
            get = results.get
            shown = tuple([(result := get(key)) is not None and result.value is True for key in _WIDGET_KEYS])
        cached = self._cache.get(shown)
        if cached is None:
            body = orjson.dumps(widget_document({key: result.value for key, result in results.items()}))
            etag = etag_of(body)
            headers = ((b"cache-control", EVALUATION_CACHE_CONTROL.encode()), (b"etag", etag.encode()))
            cached = self._cache[shown] = (body, etag, headers)
        return cached


class WidgetHandler:
    """Answers `GET /api/widget/config` from the snapshots in `deps`."""

    def __init__(self, deps: ApiDependencies, metrics: ApiMetrics) -> None:
        self.snapshots = deps.snapshots
        self.authenticator = deps.authenticator
        self.default_environment = deps.default_environment
        self.count = metrics.count
        self.evaluations = deps.evaluations
        self.renderer = WidgetRenderer()

    async def __call__(self, scope: Scope, receive: Receive) -> Response:
        params = query_params(scope)
        authorization, if_none_match = headers(scope, b"authorization", b"if-none-match")
        try:
            if len(scope["query_string"]) > MAX_ID_LENGTH:  # no shorter query holds a value that long
                check_lengths(params, _PARAMETERS)
            header_secret = bearer_secret(authorization)
            if header_secret:
                principal = await admit_without_blocking(self.authenticator, scope, header_secret, _ANY_TOKEN)
            else:  # a secret in a URL ends up in logs and referrers: only public keys may go there
                principal = await admit_without_blocking(
                    self.authenticator, scope, params.get("key"), _CLIENT_KEY
                )
            snapshot = self.snapshots.get(
                scoped_environment(principal, params.get("environment"), self.default_environment)
            )
            organization = scoped_organization(principal, params.get("organizationId"))
        except ANSWERABLE as error:
            return response_for(error)
        context = EvaluationContext(
            customer_id=params.get("customerId") or None, organization_id=organization
        )
        results = snapshot.evaluate_many(_WIDGET_KEYS, context)
        keys = _WIDGET_KEYS if len(results) == len(_WIDGET_KEYS) else tuple(results)  # all exist, or some
        self.count(keys, results.values())
        if self.evaluations is not None:
            self.evaluations.count(snapshot.environment, keys)
        body, etag, response_headers = self.renderer.render(results)
        if matches(if_none_match, etag):
            return not_modified(etag, _HEADERS)
        return JsonBytes(body, response_headers)


def widget_routes(deps: ApiDependencies, metrics: ApiMetrics) -> tuple[APIRouter, list[HotRoute]]:
    """The widget route, for the OpenAPI document and for the fast dispatcher."""
    handler = WidgetHandler(deps, metrics)
    router = APIRouter(tags=["widget"])
    parameters: list[dict[str, Any]] = [
        query_parameter("customerId", "The visitor; omit for an anonymous visitor.", MAX_ID_LENGTH),
        query_parameter("organizationId", "The visitor's organization.", MAX_ID_LENGTH),
        query_parameter("environment", "Ignored when the key is confined to one.", MAX_ID_LENGTH),
        query_parameter("key", "A client-SDK key, for callers that cannot send a header.", MAX_ID_LENGTH),
        {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
    ]

    @router.get(
        PATH,
        summary="Chat widget configuration for a visitor",
        response_model=None,
        openapi_extra={"parameters": parameters, "security": BEARER},
        responses={
            200: {"model": WidgetDocument, "description": "The document, with a strong `ETag`."},
            304: {"description": "The document has not changed since the `If-None-Match` tag."},
            404: problem_doc("The environment does not exist."),
            422: problem_doc("A parameter is too long.", ValidationProblem),
            **PROBLEM_RESPONSES,
        },
    )
    async def widget_config(request: Request) -> Response:
        """The widget's `sessionPersistence` phases resolved for one customer (or an anonymous visitor).

        Accepts any token as a bearer token; client-SDK keys (and only they) may also come as `?key=`.
        """
        return await handler(request.scope, request.receive)

    return router, [HotRoute("GET", PATH, handler)]
