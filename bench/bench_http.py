"""HTTP serving speed under loopback load, as a ratio to the floor server measured in the same run.

Absolute requests per second on a shared 2-core machine mean little; the floor
(`shared/bench/floor_server.py`: the widget document for nine flags with no framework, no auth)
is the least work any Python server can do for the same request, so `flagpilot / floor` is the
figure to watch. wrk drives each case with a different customer per request:

    widget       GET  /api/widget/config?key=<client key>&customerId=…   (the hot path)
    ofrep        POST /ofrep/v1/evaluate/flags/phase2_enhanced_storage   (server providers)
    ofrep-bulk   POST /ofrep/v1/evaluate/flags                           (client providers)

at concurrency 16 and 64, interleaved with the floor, for `--rounds` rounds. Target: widget p99
under 5 ms at concurrency 16. Needs `wrk` (apt-get install -y wrk). From a checkout
that is not beside `shared/` (a worktree), name the folder with `--shared-bench DIR` or
FLAGPILOT_SHARED_BENCH.

    .venv/bin/python bench/bench_http.py                       # 20 s per case, 2 rounds
    .venv/bin/python bench/bench_http.py --duration 5 --rounds 1
    .venv/bin/python bench/bench_http.py --server granian      # compare ASGI servers
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from flagpilot.cli import serve

BESIDE_THE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "bench"
SHARED_BENCH = Path(os.environ.get("FLAGPILOT_SHARED_BENCH", BESIDE_THE_CHECKOUT))
"""Where `floor_server.py` and `vary_customer.lua` are: `--shared-bench`, else
FLAGPILOT_SHARED_BENCH, else `shared/bench` beside the checkout."""
VENV_BIN = Path(sys.executable).parent
TARGET_P99_MS = 5.0
ADMIN = "bench-admin-token"
OFREP_PATHS = {
    "ofrep": "/ofrep/v1/evaluate/flags/phase2_enhanced_storage",
    "ofrep-bulk": "/ofrep/v1/evaluate/flags",
}

OFREP_SCRIPT = """
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  n = n + 1
  return wrk.format(nil, "{path}", nil, '{{"context":{{"targetingKey":"cust-' .. (n % 10000) .. '"}}}}')
end
"""


@dataclass(frozen=True)
class Result:
    """One wrk run, and the server's CPU time per request during it."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us_per_request: float = 0.0


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds of process `root` and all its descendants (from /proc).

    CPU time per request hardly changes when other work shares the machine, unlike requests
    per second, so it is the steadier figure on a busy host.
    """
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    family, total = {root}, 0.0
    changed = True
    while changed:
        changed = False
        for pid, (parent, _) in stats.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    for pid in family:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


@contextmanager
def serving(command: list[str], env: dict[str, str], probe: str) -> Iterator[int]:
    """Run a server until the block ends; yields its process id."""
    with running(command, env) as process:
        wait_healthy(probe, process)
        yield process.pid


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends, without waiting for it to answer, so that several can
    start at once; stopped with SIGTERM, then killed if it has not exited 10 s later."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def flagpilot_command(server: str, port: int, scratch: Path) -> list[str]:
    """flagpilot as it is run in production: JSON access log on (written to /dev/null here)."""
    if server == "granian":
        log_config = scratch / "logging.json"
        log_config.write_text(json.dumps(serve.log_config("info")))
        return [
            str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "--loop", "uvloop",
            "--no-access-log", "--log-config", str(log_config), "--port", str(port),
            "flagpilot.server.asgi:create_asgi_app",
        ]  # fmt: skip
    return [str(VENV_BIN / "flagpilot"), "serve", "--port", str(port)]


def floor_command(server: str, port: int, shared: Path) -> list[str]:
    if server == "granian":
        return [
            str(VENV_BIN / "granian"), "--interface", "asgi", "--loop", "uvloop", "--no-access-log",
            "--port", str(port), "--working-dir", str(shared), "floor_server:app",
        ]  # fmt: skip
    return [
        str(VENV_BIN / "uvicorn"), "floor_server:app", "--app-dir", str(shared), "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(
    url: str, connections: int, seconds: float, script: Path, env: dict[str, str], pid: int
) -> Result:
    """Run wrk (2 threads) and read requests/s, the 50th/99th percentile latencies, CPU per request."""
    threads = min(2, connections)
    cpu_before = cpu_seconds(pid)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    cpu_us = (cpu_seconds(pid) - cpu_before) / max(requests, 1) * 1e6
    return Result(rps, p50, p99, errors, cpu_us)


def issue(base: str, kind: str, timeout: float = 5.0) -> str:
    response = httpx.post(
        f"{base}/api/admin/tokens",
        json={"kind": kind, "name": f"bench {kind}"},
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=timeout,
    )
    response.raise_for_status()
    secret: str = response.json()["secret"]
    return secret


def server_env(scratch: Path) -> dict[str, str]:
    """The environment both servers run with: a fresh SQLite database in `scratch` (initialised
    here, since `serve` needs one), the admin token `issue` uses, and the access log on as in
    production unless FLAGPILOT_ACCESS_LOG says otherwise."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")},
        "FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN": ADMIN,
        "FLAGPILOT_ACCESS_LOG": os.environ.get("FLAGPILOT_ACCESS_LOG", "true"),
        "FLAGPILOT_DATABASE_URL": f"sqlite:///{scratch / 'flagpilot.db'}",
    }
    subprocess.run([str(VENV_BIN / "flagpilot"), "init"], env=env, check=True, capture_output=True)
    return env


def add_shared_bench_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shared-bench",
        type=Path,
        default=SHARED_BENCH,
        help="folder of floor_server.py (default: $FLAGPILOT_SHARED_BENCH, else ../shared/bench)",
    )


def checked_shared_bench(shared: Path) -> Path:
    """`shared`, once it is known to hold the floor server: a clear message rather than a server
    that never answers."""
    if not (shared / "floor_server.py").is_file():
        raise SystemExit(f"no floor_server.py in {shared}: pass --shared-bench or set FLAGPILOT_SHARED_BENCH")
    return shared


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per wrk run (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--cases", nargs="+", default=["widget", "ofrep", "ofrep-bulk"])
    add_shared_bench_option(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    shared = checked_shared_bench(args.shared_bench)

    floor_port, port = free_port(), free_port()
    floor = f"http://127.0.0.1:{floor_port}"
    floor_ready = f"{floor}/api/widget/config"
    base = f"http://127.0.0.1:{port}"
    results: dict[tuple[str, int], list[Result]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        env = server_env(scratch)
        with (
            serving(floor_command(args.server, floor_port, shared), env, floor_ready) as floor_pid,
            serving(flagpilot_command(args.server, port, scratch), env, f"{base}/healthz") as pid,
        ):
            client_key, server_key = issue(base, "client-sdk"), issue(base, "server-sdk")
            widget_script = shared / "vary_customer.lua"
            scripts = {"widget": widget_script}
            for case, path in OFREP_PATHS.items():
                scripts[case] = scratch / f"{case}.lua"
                scripts[case].write_text(OFREP_SCRIPT.format(token=server_key, path=path))
            widget_env = {"WIDGET_PATH": f"/api/widget/config?key={client_key}&"}
            for round_number in range(1, args.rounds + 1):
                for connections in args.connections:
                    results["floor", connections].append(
                        run_wrk(floor, connections, args.duration, widget_script, {}, floor_pid)
                    )
                    for case in args.cases:
                        env_case = widget_env if case == "widget" else {}
                        results[case, connections].append(
                            run_wrk(base, connections, args.duration, scripts[case], env_case, pid)
                        )
                print(f"round {round_number}/{args.rounds} done", file=sys.stderr)
    report(results, args)


def report(results: dict[tuple[str, int], list[Result]], args: argparse.Namespace) -> None:
    print(f"server: {args.server}, {args.duration:g} s per run, {args.rounds} round(s), wrk -t2")
    print(
        f"{'case':<12}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs floor':>10}"
        f"{'cpu us/req':>12}{'cpu x floor':>12}"
    )
    for connections in args.connections:
        floor_rps = statistics.median(r.requests_per_second for r in results["floor", connections])
        floor_cpu = statistics.median(r.cpu_us_per_request for r in results["floor", connections])
        for case in ("floor", *args.cases):
            runs = results[case, connections]
            rps = statistics.median(r.requests_per_second for r in runs)
            p50 = statistics.median(r.p50_ms for r in runs)
            p99 = statistics.median(r.p99_ms for r in runs)
            errors = sum(r.errors for r in runs)
            cpu = statistics.median(r.cpu_us_per_request for r in runs)
            ratio = rps / floor_rps
            print(
                f"{case:<12}{connections:>6}{rps:>10.0f}{p50:>9.2f}{p99:>9.2f}{errors:>8}{ratio:>10.2f}"
                f"{cpu:>12.1f}{cpu / floor_cpu:>12.2f}"
            )
    if ("widget", 16) in results:
        widget_p99 = statistics.median(r.p99_ms for r in results["widget", 16])
        verdict = "met" if widget_p99 < TARGET_P99_MS else "MISSED"
        print(f"target widget p99 < {TARGET_P99_MS:g} ms at 16 connections: {verdict} ({widget_p99:.2f} ms)")


if __name__ == "__main__":
    main()
