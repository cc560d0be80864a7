"""Optimistic concurrency over HTTP: a flag's version as its entity tag.

Reads answer with `ETag: "<version>"`; a write names the version it is based on, either as
`If-Match: "<version>"` or as a `version` field of its body, and is refused with 409 (and the
current version) if the flag changed since. A write without either is applied unconditionally,
as `If-Match: *` asks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from flagpilot.api.jsonio import json_response

_TAG = re.compile(r'^\s*(?:W/)?"?([0-9]{1,18})"?\s*$')  # ASCII digits only: \d also matches "١"


def _invalid(location: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": location, "msg": message, "type": "value_error"}])


def parse_if_match(header: str | None) -> int | None:
    """The version an `If-Match` header names, or None for no header or `*`.

    Raises:
        RequestValidationError: the header names no version (`header.If-Match`).
    """
    if header is None or header.strip() == "*":
        return None
    found = _TAG.match(header)
    if found is None:
        raise _invalid(("header", "If-Match"), 'must be a flag version as an entity tag, e.g. "3"')
    return int(found.group(1))


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version a write is based on, from `If-Match` or the body's `version`.

    Raises:
        RequestValidationError: both are given and disagree.
    """
    header_version = parse_if_match(if_match)
    if header_version is not None and body_version is not None and header_version != body_version:
        raise _invalid(("body", "version"), f"disagrees with If-Match ({header_version})")
    return header_version if header_version is not None else body_version


def etag(version: int) -> str:
    """The entity tag of a flag at `version`."""
    return f'"{version}"'


def versioned(
    data: Mapping[str, Any], version: int | None, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response carrying `version` as its ETag (when there is one)."""
    extra = dict(headers or {})
    if version is not None:
        extra["ETag"] = etag(version)
    return json_response(dict(data), status, extra)
