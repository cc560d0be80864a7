"""`GET /api/widget/config`: the chat widget's configuration for one visitor.

This is the hottest route: every page view with the widget asks it. The document depends only
on nine booleans, so its bytes and entity tag are made once per combination and reused; a
request costs one bulk evaluation, a tuple and a dict lookup. Without `customerId` the visitor
is anonymous and gets the defaults, environment values and 100% rollouts — a partial rollout
answers its default (the evaluation's `TARGETING_KEY_MISSING` result carries it), not an error.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from collections.abc import Mapping
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response

from flagpilot.api.caching import body_etag, matches, not_modified
from flagpilot.api.deps import ApiDependencies
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.schemas import PROBLEM_RESPONSES, Problem, WidgetDocument
from flagpilot.api.security import require, scoped_environment, scoped_organization
from flagpilot.core import EvaluationContext, EvaluationResult
from flagpilot.presets import WIDGET_FIELDS, widget_document
from flagpilot.services.auth import Principal, TokenKind

PATH = "/api/widget/config"
MAX_ID_LENGTH = 256

# The flags the document reads, in a fixed order: its bytes are a function of their values.
_WIDGET_KEYS = tuple(key for fields in WIDGET_FIELDS.values() for key in fields.values())
_HEADERS = {"Cache-Control": "private, no-cache"}


class WidgetRenderer:
    """Widget documents as bytes with their entity tags, cached by the flag values they show."""

    def __init__(self) -> None:
        self._cache: dict[tuple[bool, ...], tuple[bytes, str]] = {}

    def render(self, results: Mapping[str, EvaluationResult]) -> tuple[bytes, str]:
        """The document's bytes and strong ETag for one bulk evaluation."""
        shown = tuple(
            (result := results.get(key)) is not None and result.value is True for key in _WIDGET_KEYS
        )
        cached = self._cache.get(shown)
        if cached is None:
            body = orjson.dumps(widget_document({key: result.value for key, result in results.items()}))
            cached = self._cache[shown] = (body, body_etag(body))
        return cached


def widget_router(deps: ApiDependencies, metrics: ApiMetrics) -> APIRouter:
    """The widget route over `deps`' snapshots."""
    router = APIRouter(tags=["widget"])
    renderer = WidgetRenderer()
    snapshots = deps.snapshots
    default_environment = deps.default_environment
    count = metrics.count
    client = Depends(require(deps.authenticator, *TokenKind, query_key=True))

    @router.get(
        PATH,
        summary="Chat widget configuration for a visitor",
        response_model=None,
        responses={
            200: {"model": WidgetDocument, "description": "The document, with a strong `ETag`."},
            304: {"description": "The document has not changed since the `If-None-Match` tag."},
            404: {"model": Problem, "description": "The environment does not exist."},
            **PROBLEM_RESPONSES,
        },
    )
    async def widget_config(
        principal: Annotated[Principal, client],
        customer_id: Annotated[
            str | None,
            Query(
                alias="customerId", max_length=MAX_ID_LENGTH, description="The visitor; omit for anonymous."
            ),
        ] = None,
        organization_id: Annotated[
            str | None, Query(alias="organizationId", max_length=MAX_ID_LENGTH)
        ] = None,
        environment: Annotated[
            str | None,
            Query(max_length=MAX_ID_LENGTH, description="Ignored when the key is confined to one."),
        ] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The widget's `sessionPersistence` phases resolved for one customer (or an anonymous visitor).

        Accepts any token; client-SDK keys may also come as `?key=`.
        """
        snapshot = snapshots.get(scoped_environment(principal, environment, default_environment))
        context = EvaluationContext(
            customer_id=customer_id or None, organization_id=scoped_organization(principal, organization_id)
        )
        results = snapshot.evaluate_all(context)
        count(results.values())
        body, etag = renderer.render(results)
        if matches(if_none_match, etag):
            return not_modified(etag, _HEADERS)
        return Response(body, media_type="application/json", headers={**_HEADERS, "ETag": etag})

    return router
