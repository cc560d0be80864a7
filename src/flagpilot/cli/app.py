"""The `flagpilot` command-line tool: the root command; its sub-commands load lazily (lazy.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from flagpilot import __version__
from flagpilot.cli.lazy import LazyGroup

app = typer.Typer(
    name="flagpilot",
    cls=LazyGroup,
    help="Self-hosted feature flags and progressive rollouts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        print(f"flagpilot {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    """Self-hosted feature flags and progressive rollouts."""


def main() -> None:
    """Entry point of the `flagpilot` script."""
    app()
