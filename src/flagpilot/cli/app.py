"""The `flagpilot` command-line tool: the root command and its sub-commands."""

from __future__ import annotations

import typer

from flagpilot.cli import audit, database, evaluate, flags, overrides, rollouts, serve, tokens, transfer

app = typer.Typer(
    name="flagpilot",
    help="Self-hosted feature flags and progressive rollouts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
evaluate.register(app)
serve.register(app)
database.register(app)
flags.register(app)
overrides.register(app)
audit.register(app)
transfer.register(app)
rollouts.register(app)
tokens.register(app)


def main() -> None:
    """Entry point of the `flagpilot` script."""
    app()
