"""The OpenAPI document as the API really answers: every framework error is a problem document.

FastAPI documents its own request-validation error (`HTTPValidationError`, `application/json`)
on every route with parameters; here those errors are answered by the problem table as
`application/problem+json` with an `errors` list, and a body that is not JSON at all is a 400
problem. This module rewrites the generated document once, so that clients and the schema-based
fuzzing see what the server sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from flagpilot.api.schemas import ValidationProblem, problem_doc

_VALIDATION = problem_doc(
    "The request does not match the schema; `errors` names each bad field.", ValidationProblem
)
_UNPARSABLE = problem_doc("The body is not valid JSON.")


def _patch_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    validation = responses.get("422")
    if validation is None or "application/problem+json" not in validation.get("content", {}):
        # Every operation can answer it: text no database stores (NUL, lone surrogates) is
        # refused at the edge, in the query, the path or the body, before any route runs.
        responses["422"] = _VALIDATION
    if "requestBody" in operation and "400" not in responses:
        responses["400"] = _UNPARSABLE


def problem_aware_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi` that generates the document once and patches it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            for path_item in document.get("paths", {}).values():
                for operation in path_item.values():
                    if isinstance(operation, dict):
                        _patch_operation(operation)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
