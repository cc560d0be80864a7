"""`flagpilot demo`: a flagpilot server and the demo host site on two loopback ports.

The server is a real `flagpilot serve` process on its own SQLite database; the demo talks to
it only over HTTP, as an operator would: it starts the Phase 2 rollouts with a pilot
whitelist and the Phase 3 ones with a smaller one, and issues the client key the page embeds.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import uvicorn

from flagpilot.demo.site import SiteConfig, Visitor, create_site

STARTUP_SECONDS = 120.0
PILOT = "pilot-customer"
BETA = "beta-customer"
VISITORS = (
    Visitor(PILOT, f"{PILOT} (Phase 2 pilot)"),
    Visitor(BETA, f"{BETA} (Phases 2 and 3)"),
    Visitor("customer-a", "customer-a"),
    Visitor("customer-b", "customer-b"),
)
WHITELISTS: Mapping[str, tuple[str, ...]] = {
    "phase2_enhanced_storage": (PILOT, BETA),
    "phase2_connection_monitoring": (PILOT, BETA),
    "phase2_retry_logic": (PILOT, BETA),
    "phase3_tab_sync": (BETA,),
    "phase3_performance_mode": (BETA,),
    "phase3_analytics": (BETA,),
}


class DemoError(Exception):
    """The demo could not start; the message says why."""


@dataclass(frozen=True)
class DemoServer:
    """The running flagpilot server of a demo."""

    url: str
    admin_token: str


def _flagpilot(*args: str) -> list[str]:
    return [sys.executable, "-m", "flagpilot", *args]


@contextmanager
def flagpilot_server(port: int, data_dir: Path, environ: Mapping[str, str]) -> Iterator[DemoServer]:
    """`flagpilot init` then `flagpilot serve` on 127.0.0.1:`port`, stopped on exit."""
    admin_token = environ.get("FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN") or "demo-" + secrets.token_urlsafe(16)
    env = {
        **environ,
        "FLAGPILOT_DATABASE_URL": environ.get("FLAGPILOT_DATABASE_URL") or f"sqlite:///{data_dir}/flagpilot.db",
        "FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN": admin_token,
    }
    done = subprocess.run(
        _flagpilot("init"), check=False, env=env, cwd=data_dir, capture_output=True, text=True
    )
    if done.returncode:
        raise DemoError(f"flagpilot init failed:\n{done.stderr}")
    log = (data_dir / "flagpilot-server.log").open("wb")
    process = subprocess.Popen(
        _flagpilot("serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT,
    )
    server = DemoServer(f"http://127.0.0.1:{port}", admin_token)
    try:
        _wait_until_healthy(server, process, data_dir / "flagpilot-server.log")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_healthy(server: DemoServer, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"flagpilot serve exited:\n{log.read_text('utf-8', errors='replace')}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise DemoError(f"flagpilot serve did not become healthy on {server.url}")


def prepare(server: DemoServer) -> str:
    """Start the demo's rollouts (idempotent) and issue a client key; the key's secret."""
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        for feature, whitelist in WHITELISTS.items():
            created = client.post(
                "/api/admin/rollout",
                json={"featureName": feature, "whitelistedCustomers": list(whitelist), "reason": "demo"},
            )
            if created.status_code not in (201, 409):  # 409: it exists from an earlier run
                raise DemoError(f"creating the {feature} rollout: {created.text}")
            started = client.post("/api/admin/rollout/start", json={"featureName": feature, "reason": "demo"})
            if started.status_code not in (200, 409):  # 409: already started
                raise DemoError(f"starting the {feature} rollout: {started.text}")
        issued = client.post("/api/admin/tokens", json={"kind": "client-sdk", "name": "demo widget"})
        if issued.status_code != 201:
            raise DemoError(f"issuing the client key: {issued.text}")
        secret: str = issued.json()["secret"]
        return secret


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_demo(site_port: int, flagpilot_port: int, data_dir: Path | None = None) -> None:
    """Serve the demo until interrupted; a fresh temporary database unless `data_dir` is given."""
    with TemporaryDirectory(prefix="flagpilot-demo-") as scratch:
        directory = data_dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        with flagpilot_server(flagpilot_port, directory, dict(os.environ)) as server:
            key = prepare(server)
            site_origin = f"http://127.0.0.1:{site_port}"
            print(
                f"flagpilot      {server.url}  (admin token: {server.admin_token})\n"
                f"demo host site {site_origin}/  ← open this; switch visitors in the header\n"
                "Ctrl-C stops both.",
                file=sys.stderr,
                flush=True,
            )
            site = create_site(SiteConfig(site_origin, server.url, key, VISITORS))
            # uvicorn re-raises the stop signal once it has shut down; make SIGTERM unwind like
            # Ctrl-C does, so the flagpilot server process is stopped with it.
            signal.signal(signal.SIGTERM, _exit_on_signal)
            uvicorn.run(site, host="127.0.0.1", port=site_port, log_level="warning")
