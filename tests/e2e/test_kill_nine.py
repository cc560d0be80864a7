"""`kill -9` of the server during admin writes, and of CLI writes in the middle of their transaction.

Each cycle starts a server on the same database, has three clients write through the admin API
and, once writes are acknowledged, runs `flagpilot override set --customers-from FILE` beside
them: one transaction that overrides a flag for thousands of customers, long enough (about a
second) to be killed inside. The server is killed at a random moment; the command is killed
with SIGKILL at a moment aimed by the cycle:

- *during* (most cycles): at a random moment between its transaction's begin and its commit,
  both seen from outside (`tests/e2e/transaction_watch.py`: the SQLite write lock in
  `/proc/locks`, the backend's transaction id in `pg_stat_activity`), the window's length taken
  from an unkilled run of the same command first;
- *before*: while the command starts, before its transaction began;
- *after*: the moment its commit is seen, before it exits.

Where each kill landed is judged by what the database holds, and counted. After every cycle, on
SQLite and PostgreSQL:

- no partial change: every override written through the API has its audit row and every audit
  row its override (each is one customer override, named after itself); the command's
  overrides are all stored with their one audit row, or none is and no audit row;
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.server import FLAGPILOT, ServerProcess, running_server
from tests.e2e.transaction_watch import TransactionWatch, backend_gone, transaction_watch

CYCLES = int(os.environ.get("FLAGPILOT_TEST_KILL_CYCLES", "4"))
WRITERS = 3
FLAG = "phase1_parent_storage"
PREFIX = "kill-"
CLI_CUSTOMERS = 30_000
"""Overrides in the command's one transaction: about a second of writing on either database."""
AIMS = ("during",) * 4 + ("before", "after")
START_SECONDS = 120.0
"""The longest a command may take to begin its transaction on a saturated machine."""


def _engine_query(url: str, sql: str, **parameters: str) -> list[object]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), parameters).scalars())
    finally:
        engine.dispose()


def _written(url: str) -> tuple[set[str], set[str]]:
    """The customer ids of the overrides written through the API, and the subjects of their audit
    rows (the command's bulk writes are counted by `_bulk_stored`)."""
    api = {"p": f"{PREFIX}%", "cli": f"{PREFIX}%-cli%"}
    overrides = _engine_query(
        url,
        "SELECT customer_id FROM customer_feature_flags WHERE customer_id LIKE :p AND reason NOT LIKE :cli",
        **api,
    )
    audited = _engine_query(
        url,
        "SELECT subject_id FROM feature_flag_changes WHERE reason LIKE :p AND reason NOT LIKE :cli",
        **api,
    )
    return {str(o) for o in overrides}, {str(a) for a in audited}


def _bulk_stored(url: str, reason: str) -> tuple[int, int]:
    """How many overrides, and how many audit rows, the command with `reason` left behind."""
    (overrides,) = _engine_query(
        url, "SELECT count(*) FROM customer_feature_flags WHERE reason = :r", r=reason
    )
    (audited,) = _engine_query(url, "SELECT count(*) FROM feature_flag_changes WHERE reason = :r", r=reason)
    return int(str(overrides)), int(str(audited))


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


@dataclass
class BulkWrite:
    """One `flagpilot override set --customers-from` run and the watch on its transaction."""

    reason: str
    process: subprocess.Popen[bytes]
    application_name: str
    launched: float


def _bulk_write(server: ServerProcess, reason: str) -> BulkWrite:
    ids = server.workdir / f"{reason}.txt"
    ids.write_text("\n".join(f"{reason}-{n:05d}" for n in range(CLI_CUSTOMERS)) + "\n", "utf-8")
    command = [str(FLAGPILOT), "override", "set", FLAG, "--customers-from", str(ids), "--value", "true"]
    command += ["--reason", reason]
    application_name = f"flagpilot-{reason}"
    env = {**server.env, "PGAPPNAME": application_name}
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=server.workdir, env=env, stdout=quiet, stderr=quiet)
    return BulkWrite(reason, process, application_name, time.monotonic())


@dataclass
class Window:
    """How long the command took to begin its transaction, and how long the transaction lasted."""

    start: float
    transaction: float


def _calibrate(server: ServerProcess, url: str) -> Window:
    """Run the bulk write once, unkilled: it finishes, is stored, and times its phases."""
    write = _bulk_write(server, f"{PREFIX}calibration-cli")
    with transaction_watch(url, write.process.pid, write.application_name) as watch:
        assert write.process.wait(START_SECONDS) == 0
    assert watch.began is not None, "the transaction was never seen"
    assert watch.ended is not None, "the transaction never ended"
    assert _bulk_stored(url, write.reason) == (CLI_CUSTOMERS, 1)
    return Window(watch.began - write.launched, watch.ended - watch.began)


def _kill_aimed(
    write: BulkWrite, watch: TransactionWatch, aim: str, window: Window, chance: random.Random
) -> bool:
    """Kill the command as `aim` says; whether its transaction had been seen open by then."""
    if aim == "before":
        time.sleep(chance.uniform(0.0, window.start))
    elif aim == "during":
        assert watch.wait_begun(START_SECONDS), "the command's transaction never began"
        time.sleep(chance.uniform(0.0, window.transaction))
    else:
        assert watch.wait_ended(START_SECONDS), "the command's transaction never ended"
    write.process.send_signal(signal.SIGKILL)
    return watch.began is not None


def _landed(begun: bool, stored: bool, exit_code: int) -> str:
    if exit_code == 0:
        return "finished"  # it exited before the kill reached it
    if stored:
        return "after"
    return "during" if begun else "before"


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
    landed: Counter[str] = Counter()
    window: Window | None = None
    for cycle in range(CYCLES):
        with running_server(environ, setup=[["init"]] if cycle == 0 else []) as server:
            # The server restarted after the last kill and serves
            assert httpx.get(server.url("/readyz"), timeout=10).status_code == 200
            window = window or _calibrate(server, url)
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
            write = _bulk_write(server, f"{PREFIX}{cycle}-cli")
            # The server dies at any moment up to the command's commit, often while its writes
            # queue behind the command's transaction.
            server_kill = threading.Timer(
                chance.uniform(0.0, window.start + window.transaction), server.process.kill
            )
            server_kill.start()
            aim = chance.choice(AIMS)
            with transaction_watch(url, write.process.pid, write.application_name) as watch:
                begun = _kill_aimed(write, watch, aim, window, chance)
                exit_code = write.process.wait()
            server_kill.join()
            server.process.wait()
            for writer in writers:
                writer.join(30)
        assert backend_gone(url, write.application_name), "the killed command's backend lingers"

        overrides, audited = _written(url)
        bulk = _bulk_stored(url, write.reason)
        landed[_landed(begun, bulk[0] > 0, exit_code)] += 1
        if exit_code == 0:
            cli_done.append(write.reason)
        assert overrides == audited, (cycle, overrides ^ audited)
        assert bulk in ((0, 0), (CLI_CUSTOMERS, 1)), (cycle, aim, bulk)
        assert set(acknowledged) <= overrides, set(acknowledged) - overrides
        assert all(_bulk_stored(url, reason) == (CLI_CUSTOMERS, 1) for reason in cli_done)

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
    assert window is not None
    print(
        f"\n{CYCLES} kill -9 cycles: {len(acknowledged)} acknowledged API writes all stored, "
        f"{len(overrides)} API overrides each audited; the CLI's {CLI_CUSTOMERS}-override transaction "
        f"(begun {window.start:.1f} s after launch, {window.transaction:.2f} s long) killed before it "
        f"began {landed['before']}, during it {landed['during']}, after its commit {landed['after']}, "
        f"finished first {landed['finished']}: all or nothing each time"
    )
