"""A real `flagpilot serve` process on a free loopback port, for end-to-end tests.

    with running_server({"FLAGPILOT_ENVIRONMENT": "staging"}, setup=[["init"]]) as server:
        httpx.get(server.url("/healthz"))

The process gets the bootstrap admin token `server.admin_token`; `server.issue(kind)` issues
further tokens through the real token API. Its log (JSON lines) is kept in `server.log_path`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

STARTUP_SECONDS = 120.0  # generous: a saturated machine takes 20-40 s to import and start a server
STOP_SECONDS = 10.0
FLAGPILOT = Path(sys.executable).with_name("flagpilot")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running server and how to talk to it."""

    process: subprocess.Popen[bytes]
    base_url: str
    admin_token: str
    log_path: Path
    env: Mapping[str, str]
    workdir: Path

    def url(self, path: str) -> str:
        """The absolute URL of `path`."""
        return self.base_url + path

    def issue(self, kind: str, *, organization_id: str | None = None, environment: str | None = None) -> str:
        """A new token's secret, issued through `POST /api/admin/tokens`."""
        response = httpx.post(
            self.url("/api/admin/tokens"),
            json={
                "kind": kind,
                "name": f"e2e {kind}",
                "organizationId": organization_id,
                "environment": environment,
            },
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        response.raise_for_status()
        secret: str = response.json()["secret"]
        return secret

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a `flagpilot` command against the server's database (its directory and environment)."""
        return subprocess.run(
            [str(FLAGPILOT), *args],
            cwd=self.workdir,
            env=dict(self.env),
            input=stdin,
            text=True,
            capture_output=True,
            check=True,
        )

    def log(self) -> str:
        """What the server has logged so far."""
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> float:
        """Ask the server to stop; the seconds it took to exit."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return time.monotonic() - started


def _wait_until_healthy(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"flagpilot serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url("/healthz"), timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"flagpilot serve did not become healthy:\n{server.log()}")


@contextmanager
def running_server(
    environ: Mapping[str, str] | None = None,
    *args: str,
    setup: Sequence[Sequence[str]] = (),
) -> Iterator[ServerProcess]:
    """Start `flagpilot serve` with extra environment variables and arguments; stop it after.

    Args:
        environ: variables over the test process's own (its `FLAGPILOT_*` ones are dropped).
        args: further `flagpilot serve` arguments.
        setup: `flagpilot` commands to run first in the same directory and environment, e.g.
            `[["init"]]` to create and migrate the server's own SQLite database.
    """
    admin_token = "e2e-admin-" + os.urandom(8).hex()
    with TemporaryDirectory(prefix="flagpilot-e2e-") as workdir:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")},
            "FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN": admin_token,
            "FLAGPILOT_DATABASE_URL": f"sqlite:///{workdir}/flagpilot.db",
            **(environ or {}),
        }
        for command in setup:
            subprocess.run([str(FLAGPILOT), *command], cwd=workdir, env=env, check=True, capture_output=True)
        log_path = Path(workdir) / "server.log"
        port = free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(FLAGPILOT), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = ServerProcess(process, f"http://127.0.0.1:{port}", admin_token, log_path, env, Path(workdir))
        try:
            _wait_until_healthy(server)
            yield server
        finally:
            server.stop()
