"""Run `flagpilot` in-process against a test database of each kind."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flagpilot.cli import app


@dataclass(frozen=True)
class Result:
    """What a command did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Standard output parsed as JSON."""
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No FLAGPILOT_ variable from the shell, and an empty working folder."""
    for name in list(os.environ):
        if name.upper().startswith("FLAGPILOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def runner_for(url: str) -> Run:
    """`run(*args, **env)` against the database at `url`, as actor `cli-test`."""

    def run(*args: str, **env: str) -> Result:
        variables = {"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_ACTOR": "cli-test", **env}
        result = CliRunner().invoke(app, list(args), env=variables)
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def flagpilot(clean_environment: Path, empty_database_url: str) -> Run:
    """`flagpilot` on a brand-new, empty database (run `init` first)."""
    return runner_for(empty_database_url)


@pytest.fixture
def initialised(flagpilot: Run) -> Run:
    """`flagpilot` on a database after `flagpilot init`."""
    result = flagpilot("init")
    assert result.code == 0, result.err
    return flagpilot
