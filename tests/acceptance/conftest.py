"""The deployment checklist, run as written against real PostgreSQL and real server processes.

Each test module gets its own scratch database, created with `tests/databases.py` and set up
by the real `flagpilot init` (as an operator would), and dropped at the end. SQL goes through a
plain psycopg connection, as an operator's psql would; HTTP through httpx to `flagpilot serve`
subprocesses (see `tests/e2e/server.py`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from flagpilot.storage import libpq_url
from tests.acceptance.checklist import STEP4_CREATE_ROLLOUTS, STEP4_ROLLOUTS_SQL
from tests.acceptance.operator import Operator
from tests.databases import create_database, drop_database, unique_name
from tests.e2e.server import FLAGPILOT, ServerProcess, running_server

INTERNAL_CUSTOMER = "internal-qa-1"
"""Stands for the checklist's YOUR_INTERNAL_CUSTOMER_ID."""

AFTER_STEP4 = [["init"], ["rollout", "init-preset", "--internal-customer", INTERNAL_CUSTOMER]]
"""Steps 1 and 4 done with the CLI: the six rollouts planned, the internal customer whitelisted."""


def flagpilot(database_url: str, *args: str, environ: Mapping[str, str] | None = None) -> str:
    """Run the `flagpilot` command on `database_url`; its standard output (fails on a non-zero exit)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")},
        "FLAGPILOT_DATABASE_URL": database_url,
        "FLAGPILOT_ACTOR": "acceptance",
        **(environ or {}),
    }
    done = subprocess.run([str(FLAGPILOT), *args], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"flagpilot {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def sql(database_url: str, statement: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    """Run one statement in its own committed transaction, as psql would; the rows it returns.

    Without `params` the statement is sent as written (its `%` signs are not placeholders).
    """
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        cursor = connection.execute(statement, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def server_environ(database_url: str, **extra: str) -> dict[str, str]:
    """What a `flagpilot serve` of the checklist's deployment is started with."""
    return {"FLAGPILOT_DATABASE_URL": database_url, "FLAGPILOT_ENVIRONMENT": "production", **extra}


def assert_step4_rollouts(database_url: str) -> None:
    """Step 4's verification holds: the six planned rollouts, with the createRollout calls' settings."""
    rows = sql(database_url, STEP4_ROLLOUTS_SQL)
    names = sorted(str(call["featureName"]) for call in STEP4_CREATE_ROLLOUTS)
    # "Expected: 6 rows (phase2_*, phase3_*) / All with current_tier = 'tier_0_disabled' /
    #  All with percentage = 0 / All with status = 'planned'"
    assert [(name, tier, float(percentage), status) for name, tier, percentage, status in rows] == [
        (name, "tier_0_disabled", 0.0, "planned") for name in names
    ]
    settings = sql(
        database_url,
        "SELECT feature_name, whitelisted_customers, error_rate_threshold, time_window_ms "
        "FROM feature_rollouts ORDER BY feature_name",
    )
    assert {row[0]: row[1] for row in settings} == {key: [INTERNAL_CUSTOMER] for key in names}
    first = next(row for row in settings if row[0] == STEP4_CREATE_ROLLOUTS[0]["featureName"])
    assert (float(first[2]), first[3]) == (0.05, 3_600_000)


@pytest.fixture(scope="module")
def database_setup() -> list[list[str]]:
    """The `flagpilot` commands that prepare this module's database (a module may override it)."""
    return [["init"]]


@contextmanager
def scratch_database(server_url: str, commands: list[list[str]]) -> Iterator[str]:
    """A new PostgreSQL database prepared by `flagpilot` `commands`; dropped afterwards."""
    name = unique_name("flagpilot_acceptance")
    url = create_database(server_url, name)
    try:
        for command in commands:
            flagpilot(url, *command)
        yield url
    finally:
        drop_database(server_url, name)


@pytest.fixture(scope="module")
def checklist_database(postgres_server_url: str, database_setup: list[list[str]]) -> Iterator[str]:
    """A scratch PostgreSQL database of this module, prepared by `database_setup` (Step 1: `init`)."""
    with scratch_database(postgres_server_url, database_setup) as url:
        yield url


@contextmanager
def replica(database_url: str, **extra: str) -> Iterator[Operator]:
    """A `flagpilot serve` of `database_url` (with `extra` settings) and the operator's calls to it."""
    with running_server(server_environ(database_url, **extra)) as process:
        calls = Operator(process)
        try:
            yield calls
        finally:
            calls.close()


@pytest.fixture(scope="module")
def operator(checklist_database: str) -> Iterator[Operator]:
    """The operator's HTTP calls to a server of this module's database."""
    with replica(checklist_database) as calls:
        yield calls


@pytest.fixture(scope="module")
def server(operator: Operator) -> ServerProcess:
    """The server process `operator` talks to."""
    return operator.server
