"""Composition root: settings → engine → unit of work → services → one ASGI app."""

from flagpilot.server.container import Container, build_container

__all__ = ["Container", "build_container"]
