"""The JSON HTTP API: widget config, OFREP, SDK snapshot and stream, operations; admin plugs in.

Build it with `create_app(ApiDependencies(...))`; the composition root (`flagpilot.server`)
decides where snapshots and tokens come from.
"""

from flagpilot.api.app import create_app
from flagpilot.api.deps import DEFAULT_MAX_BODY_BYTES, ApiDependencies
from flagpilot.api.logs import JsonFormatter, configure_json_logging
from flagpilot.api.metrics import ApiMetrics
from flagpilot.api.problems import PROBLEMS, PayloadTooLarge, problem_response, response_for
from flagpilot.api.security import require, scoped_environment, scoped_organization
from flagpilot.api.stream import ChangeBroadcast

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
