"""Run the `flagpilot` command in-process, isolated from the caller's shell and working folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flagpilot.cli import app

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (no flagpilot.toml) and no FLAGPILOT_ variable from the shell."""
    for name in list(os.environ):
        if name.upper().startswith("FLAGPILOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLAGPILOT_DATABASE_URL", f"sqlite:///{tmp_path / 'flagpilot.db'}")
    return tmp_path


@pytest.fixture
def flagpilot(workdir: Path) -> Run:
    """`flagpilot(*args, **env)` → (exit code, stdout, stderr)."""

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args), env=env or None)
        return result.exit_code, result.stdout, result.stderr

    return run
