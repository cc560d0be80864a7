"""The JSON HTTP API: widget config, OFREP, SDK snapshot and stream, operations; admin plugs in.

Build it with `create_app(ApiDependencies(...))`; the composition root (`flagpilot.server`)
decides where snapshots and tokens come from. The names load on first use, so the CLI can print
the API's JSON (`flagpilot.api.serialisers`) without importing the web framework.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from flagpilot.api.app import create_app
    from flagpilot.api.deps import DEFAULT_MAX_BODY_BYTES, ApiDependencies
    from flagpilot.api.logs import JsonFormatter, configure_json_logging
    from flagpilot.api.metrics import ApiMetrics
    from flagpilot.api.problems import PROBLEMS, PayloadTooLarge, problem_response, response_for
    from flagpilot.api.security import require, scoped_environment, scoped_organization
    from flagpilot.api.stream import ChangeBroadcast

_HOMES = {
    "DEFAULT_MAX_BODY_BYTES": "flagpilot.api.deps",
    "PROBLEMS": "flagpilot.api.problems",
    "ApiDependencies": "flagpilot.api.deps",
    "ApiMetrics": "flagpilot.api.metrics",
    "ChangeBroadcast": "flagpilot.api.stream",
    "JsonFormatter": "flagpilot.api.logs",
    "PayloadTooLarge": "flagpilot.api.problems",
    "configure_json_logging": "flagpilot.api.logs",
    "create_app": "flagpilot.api.app",
    "problem_response": "flagpilot.api.problems",
    "require": "flagpilot.api.security",
    "response_for": "flagpilot.api.problems",
    "scoped_environment": "flagpilot.api.security",
    "scoped_organization": "flagpilot.api.security",
}

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "PROBLEMS",
    "ApiDependencies",
    "ApiMetrics",
    "ChangeBroadcast",
    "JsonFormatter",
    "PayloadTooLarge",
    "configure_json_logging",
    "create_app",
    "problem_response",
    "require",
    "response_for",
    "scoped_environment",
    "scoped_organization",
]


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_importlib.import_module(home), name)
