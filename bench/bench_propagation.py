"""How soon a write on one server is served by another on the same PostgreSQL database.

Three real `flagpilot serve` processes; 200 kill-switch writes through the first one's admin
API, spaced by random pauses, each timed from sending it until each other server serves the new
snapshot version (asked every 5 ms):

    notify        this server LISTENs (fast path) and polls the version every second
    poll only     this one has FLAGPILOT_LISTEN=false: the poll alone

Targets: p99 < 500 ms with NOTIFY, < 1.5 s with the poll alone. Run by hand:

    .venv/bin/python bench/bench_propagation.py [--writes 200]

It uses the server of FLAGPILOT_TEST_DATABASE_URL (a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.databases import DEFAULT_TEST_DATABASE_URL, create_database, drop_database, unique_name
from tests.e2e.propagation import percentile, propagation_seconds
from tests.e2e.server import running_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    server_url = os.environ.get("FLAGPILOT_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    name = unique_name("flagpilot_bench")
    url = create_database(server_url, name)
    try:
        with ExitStack() as stack:
            writer = stack.enter_context(running_server({"FLAGPILOT_DATABASE_URL": url}, setup=[["init"]]))
            readers = [
                stack.enter_context(running_server({"FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_LISTEN": on}))
                for on in ("true", "false")
            ]
            propagation_seconds(writer, readers, 3)  # warm up: connections, tokens, first rebuilds
            print(f"load: {os.getloadavg()[0]:.2f}   writes: {args.writes}")
            measured = propagation_seconds(writer, readers, args.writes)
        print(f"{'path':<12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
        for label, timings in zip(("notify", "poll only"), measured, strict=True):
            print(
                f"{label:<12} {percentile(timings, 0.5) * 1000:8.0f} {percentile(timings, 0.99) * 1000:8.0f} "
                f"{max(timings) * 1000:8.0f} {statistics.fmean(timings) * 1000:8.0f}"
            )
        print(f"load: {os.getloadavg()[0]:.2f}")
    finally:
        drop_database(server_url, name)


if __name__ == "__main__":
    main()
