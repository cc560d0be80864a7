"""The hostile-value table against every operation, with every token kind, on both databases.

A bounded share of the table runs here (a few thousand requests per database); `bench/
bench_fuzz.py` runs all of it, and schemathesis with more examples, by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import create_database, drop_database, unique_name
from tests.e2e.hostile import HOSTILE_STRINGS, HOSTILE_VALUES, HostileRun
from tests.e2e.server import ServerProcess, running_server

KINDS = ("editor", "viewer", "server-sdk", "client-sdk")
CI_STRINGS = HOSTILE_STRINGS[::4]
CI_VALUES = HOSTILE_VALUES[::3]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hostile_server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    environ = {"FLAGPILOT_ACCESS_LOG": "false"}
    if request.param == "sqlite":
        with running_server(environ, setup=[["init"]]) as server:
            yield server
        return
    base: str = request.getfixturevalue("postgres_server_url")
    name = unique_name("flagpilot_fuzz")
    environ["FLAGPILOT_DATABASE_URL"] = create_database(base, name)
    try:
        with running_server(environ, setup=[["init"]]) as server:
            yield server
    finally:
        drop_database(base, name)


@pytest.mark.slow
def test_hostile_values_in_every_field_query_and_header__never_5xx_and_never_poison_reads(
    hostile_server: ServerProcess,
) -> None:
    tokens = {"admin": hostile_server.admin_token, **{kind: hostile_server.issue(kind) for kind in KINDS}}
    run = HostileRun(hostile_server.base_url, tokens)
    try:
        run.everything(strings=CI_STRINGS, values=CI_VALUES)
    finally:
        run.close()
    print(f"hostile table: {run.requests} requests, {run.accepted_writes} accepted writes")
    assert run.failures == [], "\n".join(run.failures[:30])
    assert run.requests > 500
    assert run.accepted_writes > 0
