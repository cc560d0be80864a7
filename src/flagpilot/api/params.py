"""Parameter checks for the hot routes, reported like the framework's own validation errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError

MAX_ID_LENGTH = 256


def check_lengths(params: Mapping[str, str], names: Iterable[str], limit: int = MAX_ID_LENGTH) -> None:
    """Refuse over-long parameters, naming each.

    Raises:
        RequestValidationError: one or more of `names` is longer than `limit` (the problem table
            makes it a 422 with one `errors` entry per parameter).
    """
    errors = [
        {
            "loc": ("query", name),
            "msg": f"String should have at most {limit} characters",
            "type": "string_too_long",
        }
        for name in names
        if len(params.get(name) or "") > limit
    ]
    if errors:
        raise RequestValidationError(errors)


def query_parameter(name: str, description: str, max_length: int) -> dict[str, Any]:
    """An optional string query parameter, as an OpenAPI parameter object."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "maxLength": max_length},
    }
