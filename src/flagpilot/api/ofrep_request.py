"""Reading an OFREP request body into an evaluation context, with OFREP's own error codes.

OFREP answers a bad request with `{"errorCode": ..., "errorDetails": ...}` and status 400, not
with a problem document, because OpenFeature providers read those codes: `PARSE_ERROR` for a
body that is not a JSON object, `INVALID_CONTEXT` for a context of the wrong shape.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from flagpilot.core import ErrorCode

_ID_ATTRIBUTES = ("targetingKey", "customerId", "organizationId", "environment")


class OfrepError(Exception):
    """A request OFREP rejects as a whole, with the code and status to answer."""

    def __init__(self, code: ErrorCode, details: str, status: int = 400) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.status = status


class OfrepContext(NamedTuple):
    """The evaluation context of a request, still as JSON (targetingKey, attributes…).

    A named tuple rather than a frozen dataclass: made once per request, it costs a third.
    """

    attributes: dict[str, Any]

    @property
    def environment(self) -> str | None:
        """The `environment` attribute, used when the token names none."""
        value = self.attributes.get("environment")
        return value or None


def parse_context(raw: bytes) -> OfrepContext:
    """The context of a request body `{"context": {...}}`; an empty body is an empty context.

    Raises:
        OfrepError: the body is not a JSON object (`PARSE_ERROR`), or the context is not an
            object or names the customer, organization or environment with a non-string
            (`INVALID_CONTEXT`).
    """
    if not raw.strip():
        return OfrepContext({})
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise OfrepError(ErrorCode.PARSE_ERROR, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise OfrepError(ErrorCode.PARSE_ERROR, 'the request body must be a JSON object: {"context": {...}}')
    context = body.get("context")
    if context is None:
        return OfrepContext({})
    if not isinstance(context, dict):
        raise OfrepError(ErrorCode.INVALID_CONTEXT, "context must be a JSON object")
    for name in _ID_ATTRIBUTES:
        value = context.get(name)
        if value is not None and not isinstance(value, str):
            raise OfrepError(ErrorCode.INVALID_CONTEXT, f"context.{name} must be a string")
    return OfrepContext(context)


def error_body(code: ErrorCode, details: str, key: str | None = None) -> dict[str, Any]:
    """An OFREP failure document, for one flag when `key` is given."""
    body: dict[str, Any] = {} if key is None else {"key": key}
    body["errorCode"] = code.value
    body["errorDetails"] = details
    return body
