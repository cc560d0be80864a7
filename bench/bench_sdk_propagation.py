"""Propagation: a write through one `flagpilot serve`, served by an SDK connected to another.

Two server processes share one scratch PostgreSQL database (FLAGPILOT_TEST_DATABASE_URL's
server). An SDK `Client` follows the second; each change is a write of the environment value of a
flag through the first, and its propagation time runs from the write's response to the moment the
SDK serves the new value (the SDK's listener is told, so no polling loop adds to it). The path is
the whole of it: the first server's commit and NOTIFY, the second's rebuild, its change stream,
the SDK's download and swap.

Targets over 200 changes: p99 < 500 ms (moonshot: p50 < 100 ms).

    .venv/bin/python bench/bench_sdk_propagation.py [--changes 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from contextlib import ExitStack

import httpx

from bench_checklist import ADMIN, environ, percentile, postgres_database, run
from bench_http import free_port, serving
from flagpilot.sdk import Change, Client

FLAG = "phase2_retry_logic"
CUSTOMER = {"customerId": "bench-customer"}
TARGET_P99_MS, MOONSHOT_P50_MS = 500.0, 100.0
VENV_BIN = os.path.dirname(sys.executable)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    server_url = os.environ.get(
        "FLAGPILOT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    with postgres_database(server_url) as database_url, ExitStack() as stack:
        env = environ(database_url)
        run(env, "init")
        ports = [free_port(), free_port()]
        for port in ports:
            command = [
                os.path.join(VENV_BIN, "flagpilot"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ]
            stack.enter_context(serving(command, env, f"http://127.0.0.1:{port}/healthz"))
        writer, follower = (f"http://127.0.0.1:{port}" for port in ports)
        admin = {"Authorization": f"Bearer {ADMIN}"}
        token = {"kind": "server-sdk", "name": "bench"}
        key = httpx.post(f"{follower}/api/admin/tokens", json=token, headers=admin).json()["secret"]
        client = stack.enter_context(Client(follower, key, "production"))
        assert client.wait_ready(30), client.status
        served = threading.Condition()

        def heard(change: Change) -> None:
            with served:
                served.notify_all()

        client.add_listener(heard)
        times: list[float] = []
        with httpx.Client(base_url=writer, headers=admin) as http:
            for index in range(args.changes):
                value = index % 2 == 0
                body = {"featureName": FLAG, "environment": "production", "enabled": value, "reason": "bench"}
                http.post("/api/admin/feature-flags", json=body).raise_for_status()
                written = time.perf_counter()
                with served:
                    while client.get_boolean(FLAG, CUSTOMER, not value) is not value:
                        if not served.wait(5) and time.perf_counter() - written > 10:
                            raise SystemExit(f"change {index} did not arrive within 10 s")
                times.append((time.perf_counter() - written) * 1000)
    p50, p99 = statistics.median(times), percentile(times, 99)
    print(
        f"{len(times)} changes: p50 {p50:.1f} ms, p90 {percentile(times, 90):.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    print(
        f"p99 < {TARGET_P99_MS:g} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'}; "
        f"moonshot p50 < {MOONSHOT_P50_MS:g} ms: {'met' if p50 < MOONSHOT_P50_MS else 'missed'}"
    )
    return 0 if p99 < TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
