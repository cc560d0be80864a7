"""Admin UI page timings against a real `flagpilot serve`, with the HTTP floor measured in the same run.

    .venv/bin/python bench/bench_admin_ui.py               # 30 requests per page
    .venv/bin/python bench/bench_admin_ui.py --requests 10

Two scratch SQLite databases: 100 flags and 1,000 flags, each in the three preset environments;
the larger one also gets 10,000 audit rows (bulk changes) and a started rollout. For each page the
script reports the server's own time (the UI's `Server-Timing` header, gzip included) at p50 and
p95, the client round trip, and the gzipped size; then Chromium's load event for the flags page
at 1,000 flags (Debian's /usr/bin/chromium), and a bulk disable of 100 flags through the UI.
The floor server (`shared/bench/floor_server.py`) is timed by the same client in the same run:
on a shared, noisy machine the ratio to it is the figure to compare across runs.

Targets: flags page at 1,000 flags p95 < 300 ms server time and load < 1 s; at 100
flags < 100 ms and < 500 ms (the checklist asks < 2 s); bulk disable of 100 flags < 1 s.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from flagpilot.core import FlagDefinition
from flagpilot.server import Container, build_container
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.audit_payloads import flag_payload
from flagpilot.services.rollouts import Cohort, MetricRow
from flagpilot.settings import Settings
from flagpilot.storage.models import FeatureFlagChange

VENV_BIN = Path(sys.executable).parent
FLAGPILOT = VENV_BIN / "flagpilot"
SHARED_BENCH = next(
    (path for base in Path(__file__).resolve().parents if (path := base / "shared" / "bench").is_dir()),
    Path("/work/shared/bench"),
)
"""The shared folder beside the checkout (a clone in /work/main, a worktree in /work/wt/NAME)."""
PASSWORD = "bench-password-1"
FLAGS = "/dashboard/admin/feature-flags"
ENVIRONMENTS = ("development", "staging", "production")
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def populate(url: str, flags: int, audit_rows: int) -> None:
    """`flags` extra flags (phases 1-3 and none) set in every environment, a rollout of every
    tenth flag in staging and production (started, with ten minutes of outcomes), and bulk
    changes until the audit trail holds `audit_rows` rows.

    Fast at a thousand flags: the flags are written in one transaction through the storage
    layer's repositories (with their audit rows, as the flag manager writes them), everything
    else goes through the services, whose bulk actions take one transaction for all the flags.
    The container is never started, so no write waits for a snapshot rebuild: the server
    builds its snapshots once, when it starts.
    """
    env = {**os.environ, "FLAGPILOT_DATABASE_URL": url}
    subprocess.run([str(FLAGPILOT), "init"], env=env, check=True, capture_output=True)
    container = build_container(Settings.from_env(env))
    try:
        keys = [f"bench_flag_{index:04d}" for index in range(flags)]
        with container.uow_factory("bench") as uow:
            for index, key in enumerate(keys):
                definition = FlagDefinition(
                    key=key, phase=(1, 2, 3, None)[index % 4], description=f"bench {index}"
                )
                record = uow.flags.add(definition)
                uow.audit.record(
                    AuditEntry("flag.create", "flag", feature_name=key, after=flag_payload(record))
                )
            uow.commit()
        manager = container.flag_manager
        for environment in ENVIRONMENTS:
            manager.bulk("enable", keys, environment, actor="bench", reason="bench setup")
        start_rollouts(container, keys[::10])
        for round_ in range(max(0, audit_rows - audit_count(container)) // flags + 1 if audit_rows else 0):
            action = "disable" if round_ % 2 == 0 else "enable"
            manager.bulk(action, keys, "development", actor="bench", reason="audit rows")
        subprocess.run(
            [str(FLAGPILOT), "user", "create", "bench", "--role", "admin", "--password-stdin"],
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(FLAGPILOT), "rollout", "init-preset", "--internal-customer", "staff-1"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(FLAGPILOT), "rollout", "start", "phase2_enhanced_storage", "--env", "production"],
            env=env,
            check=False,
            capture_output=True,
        )
    finally:
        container.close()


def audit_count(container: Container) -> int:
    """How many rows the audit trail holds."""
    with container.uow_factory("bench", read_only=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(FeatureFlagChange)).scalar_one())


def start_rollouts(container: Container, keys: list[str]) -> None:
    """A started rollout of each of `keys` in staging and production, with outcomes for the
    last ten minutes in both cohorts (so the flags page shows their health)."""
    now = datetime.now(UTC)
    rollouts = container.rollout_manager
    started = []
    for key in keys:
        for environment in ("staging", "production"):
            rollouts.create(key, environment, actor="bench", now=now)
            started.append(rollouts.start(key, environment, actor="bench", now=now))
    minute = now.replace(second=0, microsecond=0)
    rows = [
        MetricRow(record.id or 0, minute - timedelta(minutes=ago), record.current_tier, cohort, 50, errors)
        for record in started
        for ago in range(10)
        for cohort, errors in ((Cohort.TREATMENT, 1), (Cohort.CONTROL, 2))
    ]
    with container.uow_factory("bench") as uow:
        uow.metrics.add(rows)
        uow.commit()


@contextmanager
def serving(command: list[str], env: dict[str, str], probe: str) -> Iterator[None]:
    """Run a server until the block ends; wait for `probe` to answer first."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(probe, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{command[0]} did not start") from None
        yield
    finally:
        process.terminate()
        process.wait(10)


def signed_in(base: str) -> tuple[httpx.Client, str]:
    """A client with a session, and its CSRF token."""
    client = httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=30)
    form = client.get("/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    client.post("/admin/login", data={"login": "bench", "password": PASSWORD, "csrf_token": csrf.group(1)})
    page = client.get(FLAGS)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, "sign-in failed"
    return client, token.group(1)


@dataclass
class Timing:
    """p50/p95 of server and round-trip milliseconds, and the gzipped size."""

    name: str
    server: list[float]
    client: list[float]
    gzip_bytes: int

    def line(self, floor_p50: float) -> str:
        s50, s95 = percentile(self.server, 50), percentile(self.server, 95)
        c50, c95 = percentile(self.client, 50), percentile(self.client, 95)
        return (
            f"{self.name:<34} server p50 {s50:7.1f} ms  p95 {s95:7.1f} ms | round trip p50 {c50:7.1f} ms "
            f"p95 {c95:7.1f} ms ({c50 / floor_p50:5.1f}× floor) | {self.gzip_bytes / 1024:6.1f} KiB gzipped"
        )


def percentile(values: list[float], pct: int) -> float:
    """The `pct`th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def time_page(client: httpx.Client, name: str, path: str, requests: int, *, warm: bool = True) -> Timing:
    """Fetch `path` `requests` times (after one warm-up, unless `warm` is false)."""
    if warm:
        client.get(path)
    server, rtt, size = [], [], 0
    for _ in range(requests):
        started = time.perf_counter()
        with client.stream("GET", path) as response:
            raw = b"".join(response.iter_raw())
        rtt.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        server.append(float(response.headers["server-timing"].split("dur=")[1]))
        size = len(raw)
    return Timing(name, server, rtt, size)


def floor_p50(requests: int) -> float:
    """The floor server's round trip p50 for one widget request, by the same client."""
    port = free_port()
    command = [
        str(VENV_BIN / "uvicorn"),
        "--app-dir",
        str(SHARED_BENCH),
        "floor_server:app",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    url = f"http://127.0.0.1:{port}/api/widget/config?customerId=c-1"
    with serving(command, dict(os.environ), url), httpx.Client() as client:
        client.get(url)
        samples = []
        for _ in range(requests * 3):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 50)


def chromium_load(base: str, client: httpx.Client, path: str = FLAGS, runs: int = 5) -> list[float]:
    """Chromium's load event (ms since navigation start) for `path`, signed in."""
    from playwright.sync_api import sync_playwright

    cookie = client.cookies.get("flagpilot_session")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
        )
        context = browser.new_context()
        context.add_cookies([{"name": "flagpilot_session", "value": cookie or "", "url": base}])
        page = context.new_page()
        page.goto(base + path, wait_until="load")
        loads = []
        for _ in range(runs):
            page.goto(base + path, wait_until="load")
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        browser.close()
    return loads


def chromium_line(base: str, client: httpx.Client, name: str, path: str) -> str:
    """The report line of Chromium's load event for `path`; a failure is reported, not raised,
    so the steps after it (the bulk disable) still run and report."""
    label = f"{'Chromium load event, ' + name:<34}"
    try:
        loads = chromium_load(base, client, path)
    except Exception as exc:  # any browser failure (a timeout, a crash) is a result to report
        return f"{label} FAILED: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return f"{label} median {statistics.median(loads):7.1f} ms (runs: {', '.join(f'{v:.0f}' for v in loads)})"


def bulk_disable(client: httpx.Client, csrf: str, count: int) -> float:
    """Server milliseconds of one confirmed bulk disable of `count` flags in production."""
    keys = [f"bench_flag_{index:04d}" for index in range(count)]
    response = client.post(
        "/admin/bulk",
        data={
            "csrf_token": csrf,
            "action": "disable",
            "environment": "production",
            "flags": keys,
            "reason": "bench",
            "confirmed": "1",
        },
    )
    assert response.status_code == 303, response.text[:300]
    return float(response.headers["server-timing"].split("dur=")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load: {os.getloadavg()}")
    floor = floor_p50(args.requests)
    print(f"floor server widget round trip p50 {floor:.2f} ms")
    with tempfile.TemporaryDirectory(prefix="flagpilot-bench-ui-") as scratch:
        for flags, audit_rows in ((100 - 9, 0), (1000 - 9, 10_000)):
            url = f"sqlite:///{scratch}/ui{flags}.db"
            started = time.perf_counter()
            populate(url, flags, audit_rows)
            print(f"\n{flags + 9} flags × 3 environments (set up in {time.perf_counter() - started:.0f} s)")
            port = free_port()
            env = {**os.environ, "FLAGPILOT_DATABASE_URL": url, "FLAGPILOT_ACCESS_LOG": "false"}
            base = f"http://127.0.0.1:{port}"
            command = [str(FLAGPILOT), "serve", "--host", "127.0.0.1", "--port", str(port)]
            with serving(command, env, base + "/healthz"):
                client, csrf = signed_in(base)
                print(time_page(client, "flags page, first request", FLAGS, 1, warm=False).line(floor))
                pages = [("flags page", FLAGS)]
                if audit_rows:
                    pages += [
                        ("rollout page", "/admin/rollouts/phase2_enhanced_storage/production"),
                        ("audit page (10,000+ rows)", "/admin/audit"),
                        ("audit page filtered by flag", "/admin/audit?flag=bench_flag_0001"),
                    ]
                for name, path in pages:
                    print(time_page(client, name, path, args.requests).line(floor))
                for name, path in (("sign-in page (reference)", "/admin/login"), ("flags page", FLAGS)):
                    print(chromium_line(base, client, name, path))
                if audit_rows:
                    print(
                        f"{'bulk disable of 100 flags':<34} server {bulk_disable(client, csrf, 100):7.1f} ms"
                    )
                    cold = time_page(client, "flags page after the bulk change", FLAGS, 1, warm=False)
                    print(cold.line(floor))
                client.close()
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
