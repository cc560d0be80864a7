"""Soak: mixed load on one server for a while; memory sampled, errors and event counts checked.

Widget configs, OFREP bulk evaluations, outcome events and an occasional admin write go to one
`flagpilot serve` on SQLite from a few client threads. Every `--sample` seconds the server's RSS
is recorded; at the end the server is stopped with SIGTERM (which flushes the event buffer) and
the stored outcome counts are compared with the events the server acknowledged.

    .venv/bin/python bench/bench_soak.py                    # 10 minutes
    .venv/bin/python bench/bench_soak.py --seconds 120 --sample 10

Pass criteria (printed): zero errors, RSS after warm-up flat within 10 %, stored == accepted.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.server import running_server  # noqa: E402

FLAG = "phase2_enhanced_storage"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Load:
    """Client threads and their tallies."""

    def __init__(self, base_url: str, tokens: dict[str, str]) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.requests = 0
        self.errors: list[str] = []
        self.accepted = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def _tally(self, answer: httpx.Response, expected: int) -> None:
        with self.lock:
            self.requests += 1
            if answer.status_code != expected:
                self.errors.append(f"{answer.request.method} {answer.request.url.path}: {answer.status_code}")

    def reader(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                customer = f"c-{n % 5000}"
                if n % 2:
                    answer = client.get(
                        "/api/widget/config", params={"key": self.tokens["client"], "customerId": customer}
                    )
                else:
                    answer = client.post(
                        "/ofrep/v1/evaluate/flags",
                        json={"context": {"targetingKey": customer}},
                        headers={"Authorization": f"Bearer {self.tokens['server']}"},
                    )
                self._tally(answer, 200)

    def reporter(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                events = [
                    {"featureName": FLAG, "customerId": f"c-{(n * 10 + i) % 5000}", "outcome": "success"}
                    for i in range(10)
                ]
                answer = client.post(
                    "/api/events", json=events, headers={"Authorization": f"Bearer {self.tokens['server']}"}
                )
                self._tally(answer, 202)
                if answer.status_code == 202:
                    with self.lock:
                        self.accepted += int(answer.json()["accepted"])

    def writer(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            for n in itertools.count():
                if self.stop.wait(2.0):
                    return
                answer = client.post(
                    "/api/admin/feature-flags",
                    json={
                        "featureName": "phase3_analytics",
                        "customerId": f"vip-{n % 50}",
                        "enabled": n % 2 == 0,
                    },
                    headers={"Authorization": f"Bearer {self.tokens['admin']}"},
                )
                self._tally(answer, 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--sample", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=3)
    args = parser.parse_args()
    with TemporaryDirectory(prefix="flagpilot-soak-") as workdir:
        database = Path(workdir) / "soak.db"
        environ = {"FLAGPILOT_DATABASE_URL": f"sqlite:///{database}", "FLAGPILOT_ACCESS_LOG": "false"}
        with running_server(environ, setup=[["init"]]) as server:
            admin = {"Authorization": f"Bearer {server.admin_token}"}
            httpx.post(
                server.url("/api/admin/rollout"), json={"featureName": FLAG, "minEvents": 1}, headers=admin
            )
            httpx.post(server.url("/api/admin/rollout/start"), json={"featureName": FLAG}, headers=admin)
            tokens = {
                "admin": server.admin_token,
                "server": server.issue("server-sdk"),
                "client": server.issue("client-sdk"),
            }
            load = Load(server.base_url, tokens)
            threads = [threading.Thread(target=load.reader) for _ in range(args.readers)]
            threads += [threading.Thread(target=load.reporter), threading.Thread(target=load.writer)]
            for thread in threads:
                thread.start()
            started = time.monotonic()
            samples: list[tuple[float, int, int]] = []
            while (elapsed := time.monotonic() - started) < args.seconds:
                samples.append((elapsed, _rss_kib(server.process.pid), load.requests))
                print(
                    f"{elapsed:6.0f} s  RSS {samples[-1][1] / 1024:7.1f} MiB  requests {load.requests}",
                    flush=True,
                )
                time.sleep(args.sample)
            load.stop.set()
            for thread in threads:
                thread.join()
            server.stop()  # SIGTERM: the event buffer is flushed
        with sqlite3.connect(database) as connection:
            stored = connection.execute(
                "SELECT COALESCE(SUM(successes + errors), 0) FROM rollout_metrics"
            ).fetchone()[0]
    warm = [rss for at, rss, _ in samples if at >= min(60.0, args.seconds / 4)]
    spread = (max(warm) - min(warm)) / min(warm) if warm else 0.0
    print(
        f"requests {load.requests}, errors {len(load.errors)}, "
        f"events accepted {load.accepted}, stored {stored}"
    )
    print(
        f"RSS after warm-up: min {min(warm) / 1024:.1f} MiB, max {max(warm) / 1024:.1f} MiB, "
        f"spread {spread:.1%}"
    )
    for error in load.errors[:10]:
        print("   ", error)
    ok = not load.errors and stored == load.accepted and spread <= 0.10
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
