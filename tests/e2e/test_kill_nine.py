"""`kill -9` of the server during admin writes, and of CLI writes, at random moments.

Each cycle starts a server on the same database, has three clients write through the admin API
and, once writes are acknowledged, a `flagpilot override set` run beside them; then it kills the
server (within a second) and the command (within eight: before, during or after its write) with
SIGKILL at random moments. After every cycle, on SQLite and PostgreSQL:

- no partial change: every override written by the cycle has its audit row and every audit row
  its override (each write is one customer override, named after itself);
- every write the server acknowledged, and every CLI write that finished, is stored;
- the next cycle's server starts and serves; after the last, `flagpilot audit verify` passes.

`FLAGPILOT_TEST_KILL_CYCLES` sets the number of cycles (4 by default; `bench/bench_faults.py`
runs 50 per database).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.server import FLAGPILOT, ServerProcess, running_server

CYCLES = int(os.environ.get("FLAGPILOT_TEST_KILL_CYCLES", "4"))
WRITERS = 3
FLAG = "phase1_parent_storage"
PREFIX = "kill-"
CLI_KILL_WITHIN = 8.0
"""Seconds: a loaded machine takes several to start the command, so some kills land before its
write, some during it and some after."""


def _written(url: str) -> tuple[set[str], set[str]]:
    """The customer ids of the overrides this test wrote, and the subjects of their audit rows."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            overrides = connection.execute(
                text("SELECT customer_id FROM customer_feature_flags WHERE customer_id LIKE :p"),
                {"p": f"{PREFIX}%"},
            ).scalars()
            audited = connection.execute(
                text("SELECT subject_id FROM feature_flag_changes WHERE reason LIKE :p"), {"p": f"{PREFIX}%"}
            ).scalars()
            return {str(o) for o in overrides}, {str(a) for a in audited}
    finally:
        engine.dispose()


def _write_until_killed(server: ServerProcess, name: str, acknowledged: list[str]) -> None:
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(timeout=30, headers=headers) as client:
        for n in range(10_000):
            customer = f"{name}-{n}"
            body = {"featureName": FLAG, "customerId": customer, "enabled": True, "reason": customer}
            try:
                answer = client.post(server.url("/api/admin/feature-flags"), json=body)
            except httpx.TransportError:
                return  # killed
            if answer.status_code == 200:
                acknowledged.append(customer)


def _cli_write(env: dict[str, str], workdir: Path, customer: str) -> subprocess.Popen[bytes]:
    command = [str(FLAGPILOT), "override", "set", FLAG, "--customer", customer, "--value", "true"]
    quiet = subprocess.DEVNULL
    command += ["--reason", customer]
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=quiet, stderr=quiet)


def _at(moment: tuple[str, float]) -> float:
    return moment[1]


def _more_than(items: list[str], count: int) -> bool:
    return len(items) > count


def _wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "no write was acknowledged"
        time.sleep(0.01)


def test_kill_9_of_server_and_cli_writes__no_partial_change_and_the_server_restarts(
    durable_database_url: str,
) -> None:
    url = durable_database_url
    environ = {"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_ACCESS_LOG": "false"}
    chance = random.Random(20)
    acknowledged: list[str] = []
    cli_done: list[str] = []
    for cycle in range(CYCLES):
        with running_server(environ, setup=[["init"]] if cycle == 0 else []) as server:
            # The server restarted after the last kill and serves
            assert httpx.get(server.url("/readyz"), timeout=10).status_code == 200
            writers = [
                threading.Thread(
                    target=_write_until_killed,
                    args=(server, f"{PREFIX}{cycle}-{w}", acknowledged),
                    daemon=True,
                )
                for w in range(WRITERS)
            ]
            already = len(acknowledged)
            for writer in writers:
                writer.start()
            _wait_for(partial(_more_than, acknowledged, already))  # writes are flowing
            cli_customer = f"{PREFIX}{cycle}-cli"
            cli = _cli_write(dict(server.env), server.workdir, cli_customer)
            moments = [("server", chance.uniform(0.0, 1.0)), ("cli", chance.uniform(0.0, CLI_KILL_WITHIN))]
            moments.sort(key=_at)
            began = time.monotonic()
            for what, at in moments:
                time.sleep(max(0.0, began + at - time.monotonic()))
                (server.process if what == "server" else cli).send_signal(signal.SIGKILL)
            if cli.wait() == 0:
                cli_done.append(cli_customer)
            server.process.wait()
            for writer in writers:
                writer.join(30)

        overrides, audited = _written(url)
        assert overrides == audited, (cycle, overrides ^ audited)
        assert set(acknowledged) <= overrides, set(acknowledged) - overrides
        assert set(cli_done) <= overrides

    verify = subprocess.run(
        [str(FLAGPILOT), "audit", "verify"],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with running_server(environ) as server:
        assert httpx.get(server.url("/readyz"), timeout=10).status_code == 200
    overrides, _ = _written(url)
    print(
        f"\n{CYCLES} kill -9 cycles: {len(acknowledged)} acknowledged API writes and "
        f"{len(cli_done)} finished CLI writes all stored; {len(overrides)} overrides, each audited"
    )
