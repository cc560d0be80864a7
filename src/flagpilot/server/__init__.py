"""Composition root: settings → engine → unit of work → services → one ASGI app."""

from flagpilot.server.container import Container, build_container
from flagpilot.server.database_services import DatabaseServices, build_database_services

__all__ = ["Container", "DatabaseServices", "build_container", "build_database_services"]
