"""What one admin write costs as the number of flags grows: it should not grow with it.

One real `flagpilot serve` process on a scratch PostgreSQL database (or its own SQLite file);
`--flags` flags are created one by one through `POST /api/admin/flags`, each answer awaited
before the next is sent. An admin write returns once this process serves it (read-your-writes),
so each timing includes the snapshot rebuild the write starts. Reported: milliseconds per write
over the first 100 writes and over the last 100 (flags 901-1,000 with the default), and their
ratio, which should be about 1.

    .venv/bin/python bench/bench_admin_writes.py [--flags 1000] [--backend postgresql|sqlite]

PostgreSQL uses the server of FLAGPILOT_TEST_DATABASE_URL (a scratch database is created and
dropped).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.databases import DEFAULT_TEST_DATABASE_URL, create_database, drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server

WINDOW = 100


@contextmanager
def _server(backend: str) -> Iterator[ServerProcess]:
    if backend == "sqlite":
        with running_server(setup=[["init"]]) as server:
            yield server
        return
    server_url = os.environ.get("FLAGPILOT_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    name = unique_name("flagpilot_bench")
    url = create_database(server_url, name)
    try:
        with running_server({"FLAGPILOT_DATABASE_URL": url}, setup=[["init"]]) as server:
            yield server
    finally:
        drop_database(server_url, name)


def _create(client: httpx.Client, server: ServerProcess, flags: int) -> list[float]:
    """Seconds per `POST /api/admin/flags`, in order."""
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    timings = []
    for n in range(flags):
        body = {"key": f"bench_flag_{n:05}", "type": "bool", "defaultValue": False, "description": "bench"}
        began = time.perf_counter()
        answer = client.post(server.url("/api/admin/flags"), json=body, headers=admin)
        timings.append(time.perf_counter() - began)
        answer.raise_for_status()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flags", type=int, default=1_000)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    if args.flags < 2 * WINDOW:
        parser.error(f"--flags must be at least {2 * WINDOW}")
    with _server(args.backend) as server, httpx.Client(timeout=60) as client:
        print(f"backend: {args.backend}   flags: {args.flags}   load: {os.getloadavg()[0]:.2f}")
        timings = _create(client, server, args.flags)
    first, last = timings[:WINDOW], timings[-WINDOW:]
    print(f"{'writes':<14} {'mean ms':>8} {'p50 ms':>8} {'max ms':>8}")
    for label, window in ((f"1-{WINDOW}", first), (f"{args.flags - WINDOW + 1}-{args.flags}", last)):
        print(
            f"{label:<14} {statistics.fmean(window) * 1000:8.1f} {statistics.median(window) * 1000:8.1f} "
            f"{max(window) * 1000:8.1f}"
        )
    print(f"last / first (mean): {statistics.fmean(last) / statistics.fmean(first):.2f}")
    print(f"total: {sum(timings):.1f} s   load: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
