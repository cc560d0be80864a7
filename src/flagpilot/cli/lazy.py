"""The root command's sub-commands, imported only when one is run.

`flagpilot --help` and `flagpilot --version` must answer at once and must work on a plain
`pip install flagpilot`, which has neither SQLAlchemy nor the web framework: each sub-command's
module is imported when that command runs, and a missing third-party module is reported in one
line naming the extra to install, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a sub-command lives and what `--help` says of it before it is imported."""

    module: str
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "eval": LazyCommand(
        "flagpilot.cli.evaluate", "Evaluate one flag for a customer and print the value and why."
    ),
    "widget-config": LazyCommand(
        "flagpilot.cli.evaluate", "Print the chat widget's configuration document for a customer."
    ),
    "serve": LazyCommand(
        "flagpilot.cli.serve", "Serve the API: widget config, OFREP, SDK snapshot and stream, metrics."
    ),
    "init": LazyCommand(
        "flagpilot.cli.database",
        "Create and migrate the database, then load the chat-widget preset (idempotent).",
    ),
    "export": LazyCommand(
        "flagpilot.cli.transfer", "Export every environment, flag, setting, override and rollout as JSON."
    ),
    "import": LazyCommand(
        "flagpilot.cli.transfer",
        "Import a document: everything is checked first, then written in one transaction.",
    ),
    "db": LazyCommand("flagpilot.cli.database", "Migrate the database schema."),
    "flags": LazyCommand("flagpilot.cli.flags", "List, inspect and change flags."),
    "env": LazyCommand("flagpilot.cli.environments", "List and add environments."),
    "override": LazyCommand("flagpilot.cli.overrides", "Override a flag for customers or organizations."),
    "audit": LazyCommand("flagpilot.cli.audit", "Read and verify the audit trail."),
    "rollout": LazyCommand(
        "flagpilot.cli.rollouts", "Pilot rollouts: create, advance through tiers, roll back."
    ),
    "token": LazyCommand("flagpilot.cli.tokens", "Create, list and revoke API tokens."),
    "user": LazyCommand("flagpilot.cli.users", "Create, list and disable admin UI users."),
    "demo": LazyCommand(
        "flagpilot.cli.demo",
        "Run the chat-widget demo: a host site and a flagpilot server on two loopback ports.",
    ),
}
"""Sub-command name → its module (whose `register(app)` adds it) and its one-line help."""

SERVER_EXTRA = "pip install 'flagpilot[server]'"


class LazyGroup(TyperGroup):
    """A root group that lists `COMMANDS` without importing them and loads one when it runs.

    (Contexts are typed `Any`: Typer's own context class lives in a private module.)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        if self._listing:  # the help page needs the one-line help only
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        loaded = load(cmd_name)
        self.commands[cmd_name] = loaded
        return loaded

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load(name: str) -> Any:
    """Import the sub-command `name`; a missing dependency exits with one line naming the extra."""
    try:
        module = importlib.import_module(COMMANDS[name].module)
    except ModuleNotFoundError as missing:
        if (missing.name or "").split(".")[0] == "flagpilot":
            raise
        print(
            f"flagpilot {name}: needs the server extra, which is not installed "
            f"(no module named {missing.name!r}): {SERVER_EXTRA}",
            file=sys.stderr,
        )
        raise typer.Exit(1) from None
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a group even when the module adds a single command
    module.register(holder)
    group = typer.main.get_command(holder)
    return group.commands[name]  # type: ignore[attr-defined]
