"""The root command in a fresh interpreter: help imports no sub-command, a missing extra is named."""

from __future__ import annotations

import subprocess
import sys

from flagpilot.cli.lazy import COMMANDS


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_help__lists_every_command_and_imports_none_of_them() -> None:
    result = run_python(
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from flagpilot.cli import app\n"
        "out = CliRunner().invoke(app, ['--help'], env={'COLUMNS': '200'}).stdout\n"
        "print(out)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'fastapi', 'uvicorn')"
        " or m.startswith('flagpilot.cli.') and m not in ('flagpilot.cli.app', 'flagpilot.cli.lazy')))\n"
    )

    assert result.returncode == 0, result.stderr
    assert all(f" {name} " in result.stdout for name in COMMANDS)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_command__without_the_server_extra__says_which_extra_in_one_line() -> None:
    # Given a plain install: SQLAlchemy cannot be imported
    result = run_python(
        "import sys\n"
        "sys.modules['sqlalchemy'] = None\n"
        "sys.argv = ['flagpilot', 'serve']\n"
        "from flagpilot.cli import main\n"
        "main()\n"
    )

    # Then the command exits with one line naming the extra, and no traceback
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "flagpilot serve: needs the server extra, which is not installed (no module named 'sqlalchemy'): "
        "pip install 'flagpilot[server]'"
    ]
