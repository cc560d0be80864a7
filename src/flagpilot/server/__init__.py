"""Composition root: settings → engine → unit of work → services → one ASGI app."""
