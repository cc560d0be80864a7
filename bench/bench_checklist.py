"""The deployment checklist's performance targets, measured on SQLite and PostgreSQL.

    Feature Flag Evaluation — First call: ~50-100ms (database); Cached call: <1ms; 10 customers
    Widget Load Time — Target: <500ms (95th percentile)

- **first call**: a fresh process's first evaluation, from settings to result: engine, first
  connection, the snapshot built from the database (six bulk queries), one evaluation. Imports
  and interpreter start-up are not counted. Median of `--cold-runs` fresh processes.
- **cached call**: `snapshots.get(environment).evaluate(flag, context)` once the snapshot is
  held, for 10 customers in turn (what a request pays); median and 99th percentile per call.
- **widget p95**: `GET /api/widget/config?key=…&customerId=…` over loopback HTTP to a real
  `flagpilot serve`, one keep-alive connection, a different customer per request.

Each database gets `flagpilot init`, `flagpilot rollout init-preset` and a started rollout, so
evaluations walk the whitelist and the bucketing. PostgreSQL comes from
`FLAGPILOT_TEST_DATABASE_URL` (a scratch database is created and dropped); without one it is left
out.

    .venv/bin/python bench/bench_checklist.py
    .venv/bin/python bench/bench_checklist.py --requests 5000 --cold-runs 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench_http import free_port, serving
from flagpilot.storage import libpq_url

VENV_BIN = Path(sys.executable).parent
FLAGPILOT = VENV_BIN / "flagpilot"
ADMIN = "bench-checklist-admin"
FEATURE = "phase2_enhanced_storage"
INTERNAL = "internal-qa-1"
CUSTOMERS = tuple(f"customer-{n}" for n in range(10))
TARGET_FIRST_MS = (50.0, 100.0)
TARGET_CACHED_MS = 1.0
TARGET_WIDGET_P95_MS = 500.0

# Run in a fresh interpreter: imports first (not timed), then settings → first result (timed).
COLD_SCRIPT = """
import json, sys, time
from flagpilot.core import EvaluationContext
from flagpilot.server import build_container
from flagpilot.settings import Settings

customers = json.loads(sys.argv[1])
started = time.perf_counter()
container = build_container(Settings.from_env())
snapshot = container.snapshots.get("production")
first = snapshot.evaluate("{feature}", EvaluationContext(customer_id=customers[0]))
first_ms = (time.perf_counter() - started) * 1000
cached = []
for _ in range(200):
    for customer in customers:
        ctx = EvaluationContext(customer_id=customer)
        t0 = time.perf_counter()
        container.snapshots.get("production").evaluate("{feature}", ctx)
        cached.append((time.perf_counter() - t0) * 1000)
container.close()
print(json.dumps({"first_ms": first_ms, "cached_ms": cached}))
""".replace("{feature}", FEATURE)


@dataclass
class Row:
    """One database's figures."""

    backend: str
    first_ms: list[float]
    cached_ms: list[float]
    widget_ms: list[float]


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (0-100) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def environ(database_url: str) -> dict[str, str]:
    """The process environment of every flagpilot command of the run."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")},
        "FLAGPILOT_DATABASE_URL": database_url,
        "FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN": ADMIN,
        "FLAGPILOT_ACTOR": "bench",
        "FLAGPILOT_ACCESS_LOG": "false",
    }


def run(env: dict[str, str], *args: str) -> None:
    """Run a flagpilot command; stop the benchmark if it fails."""
    done = subprocess.run([str(FLAGPILOT), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"flagpilot {' '.join(args)} failed:\n{done.stderr}")


@contextmanager
def flagpilot_serving(env: dict[str, str]) -> Iterator[str]:
    """A `flagpilot serve` until the block ends; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(FLAGPILOT), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, env, base + "/healthz"):
        yield base


def widget_latencies(base: str, requests: int) -> list[float]:
    """Start the rollout, then time `requests` widget calls, one customer each (milliseconds)."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=base, timeout=10) as client:
        started = client.post("/api/admin/rollout/start", json={"featureName": FEATURE}, headers=admin)
        if started.status_code != 200:
            raise SystemExit(f"cannot start the rollout: {started.status_code} {started.text}")
        issued = client.post("/api/admin/tokens", json={"kind": "client-sdk", "name": "bench"}, headers=admin)
        issued.raise_for_status()
        key = issued.json()["secret"]
        for n in range(200):  # warm up: connection, snapshot, code paths
            client.get("/api/widget/config", params={"key": key, "customerId": f"warm-{n}"})
        timings = []
        for n in range(requests):
            params = {"key": key, "customerId": f"customer-{n}"}
            t0 = time.perf_counter()
            response = client.get("/api/widget/config", params=params)
            timings.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"widget answered {response.status_code}: {response.text}")
        return timings


def cold_runs(env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """First-call and cached-call times from `runs` fresh processes."""
    first: list[float] = []
    cached: list[float] = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", COLD_SCRIPT, json.dumps(CUSTOMERS)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"evaluation process failed:\n{done.stderr}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        first.append(figures["first_ms"])
        cached.extend(figures["cached_ms"])
    return first, cached


def measure(backend: str, database_url: str, requests: int, runs: int) -> Row:
    """Prepare the database as the checklist does, then take every figure."""
    env = environ(database_url)
    run(env, "init")
    run(env, "rollout", "init-preset", "--internal-customer", INTERNAL)
    with flagpilot_serving(env) as base:
        widget = widget_latencies(base, requests)
    first, cached = cold_runs(env, runs)
    return Row(backend, first, cached, widget)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A scratch database on the server of `server_url`, dropped afterwards."""
    name = f"flagpilot_bench_{uuid.uuid4().hex[:12]}"
    admin = libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def report(rows: list[Row]) -> bool:
    """Print the table; whether every target is met."""
    header = (
        f"{'database':<11} {'first call ms (median, max)':>28} {'cached call µs (median, p99)':>29} "
        f"{'widget ms (p50, p95, p99)':>26}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for row in rows:
        first = statistics.median(row.first_ms)
        cached = statistics.median(row.cached_ms)
        widget95 = percentile(row.widget_ms, 95)
        print(
            f"{row.backend:<11} {first:>19.1f}, {max(row.first_ms):>6.1f} "
            f"{cached * 1000:>20.1f}, {percentile(row.cached_ms, 99) * 1000:>6.1f} "
            f"{percentile(row.widget_ms, 50):>12.2f}, {widget95:>5.2f}, {percentile(row.widget_ms, 99):>5.2f}"
        )
        ok = (
            ok
            and first <= TARGET_FIRST_MS[1]
            and cached < TARGET_CACHED_MS
            and widget95 < TARGET_WIDGET_P95_MS
        )
    print(
        f"\ntargets (checklist): first call ~{TARGET_FIRST_MS[0]:.0f}-{TARGET_FIRST_MS[1]:.0f} ms, "
        f"cached call < {TARGET_CACHED_MS:.0f} ms, widget p95 < {TARGET_WIDGET_P95_MS:.0f} ms"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Measure on SQLite and, when reachable, PostgreSQL; print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2_000, help="widget requests per database")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per database")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="flagpilot-bench-") as scratch:
        rows.append(measure("sqlite", f"sqlite:///{scratch}/flagpilot.db", args.requests, args.cold_runs))
    server_url = os.environ.get("FLAGPILOT_TEST_DATABASE_URL")
    if server_url:
        with postgres_database(server_url) as url:
            rows.append(measure("postgresql", url, args.requests, args.cold_runs))
    else:
        print("FLAGPILOT_TEST_DATABASE_URL is not set: PostgreSQL left out\n")
    return 0 if report(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
