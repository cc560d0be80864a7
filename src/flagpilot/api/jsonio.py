"""JSON in and out with orjson: several times faster than the standard library, bytes-native.

Flag values are plain JSON, but read-only mappings and tuples can reach a response through a
snapshot's frozen configuration; `dumps` writes them as objects and arrays.

Every write path bounds what it stores, but a row written by hand in SQL can hold a value no
serialiser takes (nested past orjson's limit, an integer beyond 64 bits). Rather than fail the
whole response — an export, a list of every flag, the audit trail — over one such value,
`dumps` writes it as a placeholder string the operator can spot, and logs it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response


def _fallback(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | frozenset | set):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


MAX_DEPTH = 200
"""Nesting kept when a document has to be made serialisable; orjson's own limit is 254."""

UNSERIALISABLE = "<unserialisable value>"

logger = logging.getLogger("flagpilot.api")


def _serialisable(value: Any, depth: int = 0) -> Any:
    """A copy of `value` every part of which orjson can write, bad parts as `UNSERIALISABLE`."""
    if depth > MAX_DEPTH:
        return UNSERIALISABLE
    if isinstance(value, Mapping):
        return {str(key): _serialisable(member, depth + 1) for key, member in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_serialisable(member, depth + 1) for member in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return UNSERIALISABLE
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def dumps(data: Any) -> bytes:
    """`data` as compact UTF-8 JSON; unserialisable parts as a placeholder, never an error."""
    try:
        return orjson.dumps(data, default=_fallback)
    except orjson.JSONEncodeError:
        logger.error("a response held an unserialisable value; it is shown as %r", UNSERIALISABLE)
        return orjson.dumps(_serialisable(data), default=_fallback)


def canonical_dumps(data: Any) -> bytes:
    """`data` as JSON with every object's keys sorted: equal data, equal bytes."""
    try:
        return orjson.dumps(data, default=_fallback, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return orjson.dumps(_serialisable(data), default=_fallback, option=orjson.OPT_SORT_KEYS)


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response of `data`."""
    return Response(dumps(data), status_code=status, headers=headers, media_type="application/json")


class JsonBytes(Response):
    """A response of ready JSON bytes, its headers built straight as bytes.

    The hot routes answer thousands of times a second; Starlette's general header handling
    (merging, lower-casing, content-type negotiation) is a measurable share of that.
    """

    media_type = "application/json"

    def __init__(
        self, body: bytes, headers: tuple[tuple[bytes, bytes], ...] = (), status_code: int = 200
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            *headers,
        ]
