"""Composition root: settings → engine → unit of work → services → one ASGI app.

The names load on first use, so a CLI command that needs only `DatabaseServices` does not
import the snapshot cache, the change watchers or the web application.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from flagpilot.server.container import Container, build_container
    from flagpilot.server.database_services import DatabaseServices, build_database_services

__all__ = ["Container", "DatabaseServices", "build_container", "build_database_services"]

_HOMES = {
    "Container": "flagpilot.server.container",
    "build_container": "flagpilot.server.container",
    "DatabaseServices": "flagpilot.server.database_services",
    "build_database_services": "flagpilot.server.database_services",
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_importlib.import_module(home), name)
