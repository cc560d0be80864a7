"""User-space CPU instructions per HTTP request, counted with callgrind, as a ratio to the floor server.

`bench_http.py` measures requests per second and CPU time, and both move with whatever else
shares this 2-core machine. Here the floor (`shared/bench/floor_server.py` under uvicorn) and
`flagpilot serve` (access log on, as in production) each run under `valgrind --tool=callgrind`,
which counts the instructions a process executes: the same requests cost nearly the same count
however busy the machine is, so a change of a few per cent shows, and `floor / case` is the figure
to compare with bench_http's "vs floor". Nearly: work on timers (the access log's 50 ms flush, a
token's re-check, the snapshot poll) is counted as well, and a slower run fits fewer requests
between two timer ticks, so compare runs made side by side, as bench_http's are. The requests are
bench_http's, one keep-alive connection per case, a different customer per request:

    floor        GET  /api/widget/config?customerId=…                    (the floor server)
    widget       GET  /api/widget/config?key=<client key>&customerId=…   (the hot path)
    ofrep        POST /ofrep/v1/evaluate/flags/phase2_enhanced_storage   (server providers)
    ofrep-bulk   POST /ofrep/v1/evaluate/flags                           (client providers)

Each case sends 200 requests to warm up, then the server's counters are zeroed
(`callgrind_control -z`), `--requests` more are sent and the counts dumped (`-d`). Only
user-space instructions are counted: time in the kernel (sockets, writes), cache misses and
concurrency are not in it, so this complements bench_http rather than replacing it — it says
which change does less work, bench_http whether that shows in throughput and latency. Needs
valgrind (apt-get install -y valgrind). Both servers take a minute or two to start under valgrind;
a whole run takes 4–5 minutes. `--shared-bench` as for bench_http.

    .venv/bin/python bench/bench_instructions.py
    .venv/bin/python bench/bench_instructions.py --requests 3000 --cases widget
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bench_http import (
    OFREP_PATHS,
    add_shared_bench_option,
    checked_shared_bench,
    flagpilot_command,
    floor_command,
    free_port,
    issue,
    running,
    server_env,
    wait_healthy,
)

WARM_UP = 200
STARTUP_SECONDS = 300.0
"""How long a server may take to answer its first request: 60–90 s under valgrind on a quiet
2-core machine, more when both start at once on a busy one."""
SLOW_SECONDS = 120.0
"""Timeout of any one request under valgrind (the first of a route compiles and caches a lot)."""
CUSTOMERS = 10_000  # as bench_http's wrk scripts


@dataclass(frozen=True)
class Target:
    """A server process and the request one case sends it."""

    port: int
    pid: int
    path: str
    bearer: str = ""
    """OFREP's server key: the request is then a POST whose body names the customer."""

    def send(self, connection: http.client.HTTPConnection, customers: range) -> None:
        """One request per customer number; anything but 200 stops the benchmark, since a count
        of error answers would look like a speed-up."""
        for n in customers:
            customer = f"cust-{n % CUSTOMERS}"
            if self.bearer:
                body = json.dumps({"context": {"targetingKey": customer}}, separators=(",", ":"))
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.bearer}"}
                connection.request("POST", self.path, body=body, headers=headers)
            else:
                connection.request("GET", f"{self.path}customerId={customer}")
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise SystemExit(f"{self.path} answered {response.status}: {answer[:300]!r}")


def callgrind_control(option: str, pid: int) -> None:
    command = ["callgrind_control", option, str(pid)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"callgrind_control {option} {pid} failed:\n{done.stdout}{done.stderr}")


def total_instructions(dump: Path) -> int:
    """The event total of a callgrind dump: its `summary:` line, or `totals:` in older formats."""
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no summary or totals line in {dump}")


def instructions_per_request(target: Target, requests: int, dumps: Path) -> float:
    """Warm up, zero the counters, send `requests` requests on the same connection, dump, read.

    The client is this process, never the measured one; the counters cover everything the server
    does between the zeroing and the dump, background work included.
    """
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=SLOW_SECONDS)
    try:
        target.send(connection, range(WARM_UP))
        callgrind_control("-z", target.pid)
        before = set(dumps.glob(f"cg.out.{target.pid}*"))
        target.send(connection, range(WARM_UP, WARM_UP + requests))
        callgrind_control("-d", target.pid)
    finally:
        connection.close()
    written = set(dumps.glob(f"cg.out.{target.pid}*")) - before
    if not written:
        raise SystemExit(f"callgrind_control -d {target.pid} wrote no dump in {dumps}")
    newest = max(written, key=lambda path: path.stat().st_mtime_ns)
    return total_instructions(newest) / requests


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C does, so the servers are stopped and the scratch folder removed."""
    raise SystemExit(128 + signum)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="counted requests per case (default 1000)")
    parser.add_argument(
        "--cases", nargs="+", choices=["widget", *OFREP_PATHS], default=["widget", *OFREP_PATHS]
    )
    add_shared_bench_option(parser)
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install -y valgrind")
    shared = checked_shared_bench(args.shared_bench)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True, check=True).stdout

    floor_port, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        env = server_env(scratch)
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/cg.out.%p"]
        print("starting both servers under valgrind (a minute or two)", file=sys.stderr)
        with (  # started together: each takes about a core to start
            running([*valgrind, *floor_command("uvicorn", floor_port, shared)], env) as floor,
            running([*valgrind, *flagpilot_command("uvicorn", port, scratch)], env) as flagpilot,
        ):
            wait_healthy(f"http://127.0.0.1:{floor_port}/api/widget/config", floor, STARTUP_SECONDS)
            wait_healthy(f"{base}/healthz", flagpilot, STARTUP_SECONDS)
            client_key = issue(base, "client-sdk", SLOW_SECONDS)
            server_key = issue(base, "server-sdk", SLOW_SECONDS)
            targets = {
                "floor": Target(floor_port, floor.pid, "/api/widget/config?"),
                "widget": Target(port, flagpilot.pid, f"/api/widget/config?key={client_key}&"),
            }
            for case, path in OFREP_PATHS.items():
                targets[case] = Target(port, flagpilot.pid, path, server_key)
            for case in ("floor", *args.cases):
                results[case] = instructions_per_request(targets[case], args.requests, scratch)
                print(f"{case} done", file=sys.stderr)
    report(results, args.requests, version.strip())


def report(results: dict[str, float], requests: int, version: str) -> None:
    print(f"{version} callgrind, {requests} requests per case after {WARM_UP} to warm up, uvicorn")
    print(f"{'case':<12}{'instructions/req':>18}{'floor / case':>14}")
    for case, instructions in results.items():
        print(f"{case:<12}{instructions:>18,.0f}{results['floor'] / instructions:>14.2f}")


if __name__ == "__main__":
    main()
