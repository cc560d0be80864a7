"""`flagpilot demo`: the chat widget on a demo host site, against a fresh flagpilot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flagpilot.cli.output import fail
from flagpilot.demo import DemoError, run_demo


def demo_command(
    port: Annotated[int, typer.Option(help="Port of the demo host site.")] = 8080,
    flagpilot_port: Annotated[int, typer.Option(help="Port of the demo's flagpilot server.")] = 8081,
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the demo's SQLite database here (default: a temporary one).")
    ] = None,
) -> None:
    """Run the chat-widget demo: a host site and a flagpilot server on two loopback ports."""
    if port == flagpilot_port:
        fail("--port and --flagpilot-port must differ")
    try:
        run_demo(port, flagpilot_port, data_dir)
    except DemoError as exc:
        fail(f"demo: {exc}")


def register(app: typer.Typer) -> None:
    """Add `demo` to the root command."""
    app.command("demo")(demo_command)
