"""The `flagpilot` command."""

from flagpilot.cli.app import app, main

__all__ = ["app", "main"]
