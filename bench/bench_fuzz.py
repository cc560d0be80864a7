"""The long hostile-input run: the whole hostile-value table and many schemathesis examples.

CI runs a share of the table (tests/e2e/test_fuzz_hostile.py) and 50 schemathesis examples per
operation (tests/e2e/test_fuzz_openapi.py). This runs all of the table, on SQLite and on
PostgreSQL (`FLAGPILOT_TEST_DATABASE_URL`, a scratch database; left out if unreachable), then the
schemathesis test with `--examples` per operation, and prints the request and 5xx counts.

    .venv/bin/python bench/bench_fuzz.py
    .venv/bin/python bench/bench_fuzz.py --examples 500 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    DEFAULT_TEST_DATABASE_URL,
    create_database,
    drop_database,
    server_unreachable,
    unique_name,
)
from tests.e2e.hostile import HostileRun  # noqa: E402
from tests.e2e.server import running_server  # noqa: E402

KINDS = ("editor", "viewer", "server-sdk", "client-sdk")


def _table(environ: dict[str, str], rounds: int) -> tuple[int, int, list[str]]:
    with running_server({"FLAGPILOT_ACCESS_LOG": "false", **environ}, setup=[["init"]]) as server:
        tokens = {"admin": server.admin_token, **{kind: server.issue(kind) for kind in KINDS}}
        run = HostileRun(server.base_url, tokens)
        try:
            for _ in range(rounds):
                run.everything()
        finally:
            run.close()
        return run.requests, run.accepted_writes, run.failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="schemathesis examples per operation")
    parser.add_argument("--rounds", type=int, default=1, help="passes of the hostile table per database")
    args = parser.parse_args()

    databases: list[tuple[str, dict[str, str]]] = [("sqlite", {})]
    server_url = os.environ.get("FLAGPILOT_TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL
    scratch = None
    if server_unreachable(server_url) is None:
        scratch = unique_name("flagpilot_bench_fuzz")
        databases.append(("postgresql", {"FLAGPILOT_DATABASE_URL": create_database(server_url, scratch)}))
    total_failures = 0
    try:
        for name, environ in databases:
            started = time.monotonic()
            requests, writes, failures = _table(environ, args.rounds)
            total_failures += len(failures)
            elapsed = time.monotonic() - started
            print(
                f"hostile table on {name}: {requests} requests, {writes} accepted writes, "
                f"{len(failures)} failed checks, {elapsed:.0f} s"
            )
            for failure in failures[:20]:
                print("   ", failure)
    finally:
        if scratch is not None:
            drop_database(server_url, scratch)
    started = time.monotonic()
    schemathesis = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e/test_fuzz_openapi.py"],
        check=False,
        cwd=ROOT,
        env={**os.environ, "FLAGPILOT_FUZZ_EXAMPLES": str(args.examples)},
        capture_output=True,
        text=True,
    )
    summary = schemathesis.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(
        f"schemathesis, {args.examples} examples per operation: {summary[0]} "
        f"({time.monotonic() - started:.0f} s)"
    )
    sys.exit(1 if total_failures or schemathesis.returncode else 0)


if __name__ == "__main__":
    main()
