"""Every admin UI action runs in the threadpool: its session lookup and database write never hold
the event loop, so a slow or hung database stalls that one request, not the evaluation routes."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from flagpilot.server.asgi import create_asgi_app
from flagpilot.settings import Settings

UI_PREFIXES = ("/admin", "/dashboard")


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route, those of included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def test_ui_routes__are_sync_handlers_run_in_the_threadpool(tmp_path: Path) -> None:
    # Given the server app
    app = create_asgi_app(Settings(database_url=f"sqlite:///{tmp_path / 'ui.db'}"))
    ui_routes = [route for route in _api_routes(app.routes) if route.path.startswith(UI_PREFIXES)]

    # Then there are UI write actions, and no UI handler is a coroutine on the event loop
    assert sum("POST" in route.methods for route in ui_routes) >= 10
    on_the_loop = [route.path for route in ui_routes if inspect.iscoroutinefunction(route.endpoint)]
    assert on_the_loop == []
