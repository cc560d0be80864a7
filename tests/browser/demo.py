"""`flagpilot demo` as a real process, for browser tests and the widget benchmark.

    with running_demo() as demo:
        page.goto(demo.page("customer-a"))

The demo's flagpilot server gets a known admin token, so a test can change flags and roll
rollouts back through the real admin API while the browser watches.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.e2e.server import free_port

STARTUP_SECONDS = 180.0  # three processes start in a row; a loaded machine needs the time
FLAGPILOT = Path(sys.executable).with_name("flagpilot")


@dataclass
class Demo:
    """A running demo: the host site, its flagpilot, and an admin client for the latter."""

    process: subprocess.Popen[bytes]
    site_url: str
    flagpilot_url: str
    admin: httpx.Client
    log_path: Path

    def page(self, customer: str, **params: str) -> str:
        """The host page URL for `customer` (extra demo parameters: `flags`, `api`)."""
        return f"{self.site_url}/?{urlencode({'customer': customer, **params})}"

    def chat(self, path: str, **params: str) -> Any:
        """A GET on the demo's conversation service, as JSON."""
        response = httpx.get(f"{self.site_url}/chat{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def log(self) -> str:
        """What the demo and its server printed."""
        return self.log_path.read_text("utf-8", errors="replace")


@contextmanager
def running_demo() -> Iterator[Demo]:
    """`flagpilot demo` on two free loopback ports, on its own temporary database."""
    admin_token = "demo-admin-" + os.urandom(8).hex()
    site_port, flagpilot_port = free_port(), free_port()
    with TemporaryDirectory(prefix="flagpilot-demo-test-") as workdir:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")},
            "FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN": admin_token,
        }
        log_path = Path(workdir) / "demo.log"
        command = [str(FLAGPILOT), "demo", "--port", str(site_port), "--flagpilot-port", str(flagpilot_port),
                   "--data-dir", workdir]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        flagpilot_url = f"http://127.0.0.1:{flagpilot_port}"
        admin = httpx.Client(
            base_url=flagpilot_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10
        )
        demo = Demo(process, f"http://127.0.0.1:{site_port}", flagpilot_url, admin, log_path)
        try:
            _wait_until_serving(demo)
            yield demo
        finally:
            admin.close()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_serving(demo: Demo) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if demo.process.poll() is not None:
            raise RuntimeError(f"flagpilot demo exited with {demo.process.returncode}:\n{demo.log()}")
        try:
            if httpx.get(demo.site_url + "/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"flagpilot demo did not start:\n{demo.log()}")
