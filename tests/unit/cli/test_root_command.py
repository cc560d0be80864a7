"""The root command: `--version`, a `--help` that imports no sub-command, and a plain install
without the server extra that answers in one line instead of a traceback."""

from __future__ import annotations

import pytest

from flagpilot import __version__
from flagpilot.cli.lazy import COMMANDS, load
from tests.unit.cli.conftest import Run


def test_version__prints_the_version(flagpilot: Run) -> None:
    code, out, _ = flagpilot("--version")

    assert (code, out.strip()) == (0, f"flagpilot {__version__}")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_table__says_what_the_command_itself_says(name: str) -> None:
    command = load(name)

    assert command.get_short_help_str(limit=200) == COMMANDS[name].help
