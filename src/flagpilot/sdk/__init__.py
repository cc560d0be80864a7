"""The flagpilot Python SDK: flags evaluated in-process, kept current, fail-static, fork-safe.

    from flagpilot.sdk import Client
    flags = Client("https://flags.example.com", server_key, "production")
    flags.get_boolean("phase2_enhanced_storage", {"customerId": "c-1", "organizationId": "org-a"})

It imports the pure evaluation core (and its presets, for the widget document) and, in its
background thread, httpx: nothing of the server. `AsyncClient` and `FlagpilotProvider` (the
OpenFeature provider) are imported on first use, so a threaded program loads neither asyncio nor
OpenFeature.
See docs/sdk.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flagpilot.sdk._context import ContextLike
from flagpilot.sdk._options import Options
from flagpilot.sdk._outcomes import OutcomeMetrics
from flagpilot.sdk._status import Change, Source, State, Status
from flagpilot.sdk.client import Client

if TYPE_CHECKING:
    from typing import Any

    from flagpilot.sdk.aio import AsyncClient
    from flagpilot.sdk.provider import FlagpilotProvider

__all__ = [
    "AsyncClient",
    "Change",
    "Client",
    "ContextLike",
    "FlagpilotProvider",
    "Options",
    "OutcomeMetrics",
    "Source",
    "State",
    "Status",
]


def __getattr__(name: str) -> Any:
    # Imported on first use: asyncio and openfeature cost more to import than the rest together.
    if name == "AsyncClient":
        from flagpilot.sdk.aio import AsyncClient  # noqa: PLC0415

        return AsyncClient
    if name == "FlagpilotProvider":
        from flagpilot.sdk.provider import FlagpilotProvider  # noqa: PLC0415

        return FlagpilotProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
