"""The one table that turns errors into `application/problem+json` responses (RFC 9457).

Services raise their own errors (`flagpilot.services.errors`); the framework raises its own for
unknown routes, wrong methods and malformed requests. Each class maps to one status and one
problem type here, and nowhere else, so every error a client can see has the same shape:

    {"type": "urn:flagpilot:problem:flag-not-found", "title": "Flag not found",
     "status": 404, "detail": "flag 'x' does not exist"}

Validation problems add `errors`, one entry per bad field. Anything not in the table is a bug:
it is logged with its traceback and answered with a bare 500 problem that leaks nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from flagpilot.api.problem_titles import title_of
from flagpilot.services.errors import (
    AlreadyExists,
    Conflict,
    EnvironmentNotFound,
    FlagNotFound,
    GateClosed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RolloutNotFound,
    RolloutStateError,
    ServiceError,
    StorageUnavailable,
    TokenNotFound,
    Unauthenticated,
    VersionConflict,
    WriteContention,
)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:flagpilot:problem:"

logger = logging.getLogger("flagpilot.api")


class PayloadTooLarge(HTTPException):
    """A request body over the configured limit.

    An `HTTPException` so that frameworks reading the body re-raise it untouched instead of
    reporting a parse error.
    """

    def __init__(self, limit: int, route: str = "") -> None:
        where = f", the limit of {route}" if route else ""
        super().__init__(413, f"the request body exceeds {limit:,} bytes{where}")


PROBLEMS: Mapping[type[Exception], tuple[int, str]] = {
    FlagNotFound: (404, "flag-not-found"),
    RolloutNotFound: (404, "rollout-not-found"),
    EnvironmentNotFound: (404, "environment-not-found"),
    TokenNotFound: (404, "token-not-found"),
    NotFound: (404, "not-found"),
    InvalidInput: (422, "invalid-input"),
    VersionConflict: (409, "version-conflict"),
    AlreadyExists: (409, "already-exists"),
    RolloutStateError: (409, "illegal-transition"),
    GateClosed: (409, "gate-closed"),
    Conflict: (409, "conflict"),
    Unauthenticated: (401, "unauthenticated"),
    PermissionDenied: (403, "permission-denied"),
    StorageUnavailable: (503, "storage-unavailable"),
    WriteContention: (503, "write-contention"),
    ServiceError: (500, "service-error"),
    RequestValidationError: (422, "invalid-request"),
    PayloadTooLarge: (413, "payload-too-large"),
}
"""Error class → (HTTP status, problem type). The most specific class in an error's MRO wins."""

ANSWERABLE: tuple[type[Exception], ...] = (ServiceError, HTTPException, RequestValidationError)
"""What a handler that bypasses the framework catches and answers with `response_for`."""

# Framework errors carry their status rather than a class of their own.
_STATUS_TYPES: Mapping[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "permission-denied",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response; `extra` adds members such as `errors`."""
    body: dict[str, Any] = {"type": TYPE_PREFIX + slug, "title": title, "status": status, "detail": detail}
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _lookup(exc: Exception) -> tuple[int, str] | None:
    for cls in type(exc).__mro__:
        found = PROBLEMS.get(cls)
        if found is not None:
            return found
    return None


def _extra(exc: Exception) -> dict[str, Any]:
    """The members a problem type adds to the standard four."""
    if isinstance(exc, RequestValidationError):
        return {"errors": [_field_error(error, exc.body) for error in exc.errors()]}
    if isinstance(exc, InvalidInput):
        return {"errors": [{"field": f"{p.flag}.{p.field}", "message": p.message} for p in exc.problems]}
    if isinstance(exc, VersionConflict) and exc.current_version is not None:
        return {"currentVersion": exc.current_version}
    if isinstance(exc, GateClosed):
        return {"gate": exc.gate, "opensAt": exc.opens_at}
    return {}


def _field_error(error: Mapping[str, Any], body: Any) -> dict[str, str]:
    if error.get("type") == "json_invalid":
        return {"field": "body", "message": malformed_json(body, error)}
    location = ".".join(str(part) for part in error.get("loc", ()))
    return {"field": location, "message": str(error.get("msg", "invalid"))}


def malformed_json(document: Any, error: Mapping[str, Any]) -> str:
    """`malformed JSON at line L column C: <why>`, from the decoder's character offset."""
    position = error.get("loc", ("body", 0))[-1]
    why = str(error.get("ctx", {}).get("error", "invalid JSON"))
    if not isinstance(document, str) or not isinstance(position, int):
        return f"malformed JSON: {why}"
    line = document.count("\n", 0, position) + 1
    column = position - document.rfind("\n", 0, position)
    return f"malformed JSON at line {line} column {column}: {why}"


def _not_json(request: Request, exc: RequestValidationError) -> RequestValidationError | None:
    """The error a body sent without a JSON content type deserves, if that is what happened."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return None
    if not any(tuple(error.get("loc", ())) == ("body",) for error in exc.errors()):
        return None
    sent = f"it was sent as {media}" if media else "it was sent without a Content-Type"
    message = f"send the body as JSON with Content-Type: application/json ({sent})"
    return RequestValidationError([{"loc": ("body",), "msg": message, "type": "content_type"}])


def response_for(exc: Exception) -> Response:
    """The problem response for any error, looked up in `PROBLEMS`."""
    headers: dict[str, str] = {}
    found = _lookup(exc)
    if isinstance(exc, HTTPException) and found is None:
        status = exc.status_code
        found = (status, _STATUS_TYPES.get(status, "http-error"))
        headers.update(exc.headers or {})
    if found is None:
        logger.error("unhandled error", exc_info=exc)
        return problem_response(
            500, "internal-error", "Internal Server Error", "an unexpected error occurred"
        )
    status, slug = found
    if isinstance(exc, ServiceError):
        title, detail = title_of(exc), exc.detail
    elif isinstance(exc, RequestValidationError):
        title, detail = "Invalid request", "the request does not match the API's schema"
    elif isinstance(exc, HTTPException):
        title, detail = _phrase(status), str(exc.detail)
    else:  # pragma: no cover - every table entry is one of the above
        title, detail = _phrase(status), str(exc)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="flagpilot"'
    if isinstance(exc, WriteContention):
        headers["Retry-After"] = "1"  # nothing was written: the same request may simply be sent again
    if status >= 500:
        logger.error("%s: %s", slug, detail)
    return problem_response(status, slug, title, detail, _extra(exc), headers)


async def _handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError):
        exc = _not_json(request, exc) or exc
    return response_for(exc)


def install(app: FastAPI) -> None:
    """Route every error the app can meet through `response_for`."""
    for cls in (*PROBLEMS, HTTPException, Exception):
        app.add_exception_handler(cls, _handle)
