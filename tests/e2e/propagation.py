"""Measure how soon a write on one server is served by another: for the e2e test and the benchmark.

    timings = propagation_seconds(writer, [reader, other_reader], writes=20)

Each write is a kill switch toggled through the writer's admin API; each reader's `/readyz` is
then asked every few milliseconds until its snapshot version reaches the one the writer serves
(the writer answers only once it serves its own write). A timing runs from sending the write to
the reader serving it, so it includes the writer's commit. Writes are spaced by a random pause of
up to a second: back-to-back writes would fall into step with a reader's one-second poll.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import httpx

from tests.e2e.server import ServerProcess

FLAG = "phase3_analytics"
ASK_EVERY_SECONDS = 0.005
GIVE_UP_SECONDS = 30.0


def served_version(client: httpx.Client, server: ServerProcess) -> int:
    """The newest snapshot version `server` serves."""
    version: int = client.get(server.url("/readyz")).json()["snapshotVersion"]
    return version


def propagation_seconds(
    writer: ServerProcess, readers: Sequence[ServerProcess], writes: int, seed: int = 13
) -> list[list[float]]:
    """Seconds from each write on `writer` to each of `readers` serving it: one list per reader."""
    admin = {"Authorization": f"Bearer {writer.admin_token}"}
    pauses = random.Random(seed)
    timings: list[list[float]] = [[] for _ in readers]
    with httpx.Client(timeout=10) as client:
        for n in range(writes):
            time.sleep(pauses.uniform(0.0, 1.0))
            switch = "kill" if n % 2 == 0 else "unkill"
            began = time.perf_counter()
            answer = client.post(
                writer.url(f"/api/admin/flags/{FLAG}/{switch}"),
                json={"environment": "production", "reason": "propagation measurement"},
                headers=admin,
            )
            answer.raise_for_status()
            target = served_version(client, writer)
            waiting = set(range(len(readers)))
            while waiting:
                for index in sorted(waiting):
                    if served_version(client, readers[index]) >= target:
                        timings[index].append(time.perf_counter() - began)
                        waiting.discard(index)
                if time.perf_counter() - began > GIVE_UP_SECONDS:
                    raise AssertionError(f"write {n} not served by every reader in {GIVE_UP_SECONDS} s")
                time.sleep(ASK_EVERY_SECONDS)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]
