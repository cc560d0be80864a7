"""Concurrent traffic from real HTTP clients against a server, tallied per kind, for fault tests.

    with traffic(server, client_key, server_key, flag=FLAG) as load:
        ...                       # break something
    load.evaluations.statuses    # Counter of the widget and OFREP answers

Each kind of request runs in its own thread with its own connection: widget config and OFREP
bulk evaluation (the evaluation routes), outcome events (the sum of what the server said it
accepted), `/healthz` and `/readyz` probes (their slowest answer and what `/readyz` said), and
optionally an admin writer that sets one new customer override per request (customer and reason
`<prefix><n>`), so every write that was answered can be checked against the database afterwards.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from tests.e2e.server import ServerProcess

EVALUATION_TIMEOUT_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 5.0
WRITE_TIMEOUT_SECONDS = 60.0
PROBE_EVERY_SECONDS = 0.05
WRITE_EVERY_SECONDS = 0.5
EVENTS_PER_BATCH = 20


@dataclass
class Tally:
    """What one kind of request got: statuses (or the exception's name), and the slowest answer."""

    statuses: Counter[int | str] = field(default_factory=Counter)
    slowest: float = 0.0
    examples: dict[int | str, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, status: int | str, seconds: float, text: str = "") -> None:
        with self.lock:
            self.statuses[status] += 1
            self.slowest = max(self.slowest, seconds)
            self.seconds.append(seconds)
            self.examples.setdefault(status, text[:300])

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def percentile(self, fraction: float) -> float:
        """The answer time below which `fraction` of the answers came (nearest rank)."""
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0

    def share(self, status: int) -> float:
        """The fraction of requests answered `status`."""
        return self.statuses[status] / self.total if self.total else 0.0


@dataclass
class Write:
    """One admin write: its number, when it began (monotonic), status, seconds to answer, type."""

    number: int
    began: float
    status: int | str
    seconds: float
    content_type: str
    body: str


@dataclass
class Traffic:
    """The tallies of a `traffic` run, filled while it runs."""

    evaluations: Tally = field(default_factory=Tally)
    healthz: Tally = field(default_factory=Tally)
    readyz: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    readyz_bodies: list[dict[str, Any]] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    events_posted: int = 0
    events_accepted: int = 0
    events_ignored: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    writing: threading.Event = field(default_factory=threading.Event)

    def mark(self) -> dict[str, int]:
        """How many requests of each kind were sent so far (to look at a window later)."""
        return {"evaluations": self.evaluations.total, "writes": len(self.writes)}


def assert_counted(server: ServerProcess, key: str, flag: str, customer: str = "customer-0") -> None:
    """Post one success event for `flag` and assert that the server counted it: a rollout started
    through the API counts events from the moment its start answered."""
    one = [{"featureName": flag, "customerId": customer, "outcome": "success"}]
    answer = httpx.post(server.url("/api/events"), json=one, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 1, f"{flag}'s started rollout did not count: {answer.text}"


def _timed(
    tally: Tally, send: Callable[[], httpx.Response], timeout_name: str = "timeout"
) -> httpx.Response | None:
    began = time.perf_counter()
    try:
        response = send()
    except httpx.TimeoutException:
        tally.add(timeout_name, time.perf_counter() - began)
        return None
    except httpx.TransportError as exc:
        tally.add(type(exc).__name__, time.perf_counter() - began, str(exc))
        return None
    tally.add(response.status_code, time.perf_counter() - began, response.text)
    return response


def _widget(server: ServerProcess, key: str, load: Traffic) -> None:
    with httpx.Client(timeout=EVALUATION_TIMEOUT_SECONDS) as client:
        for n in itertools.count():
            if load.stopping.is_set():
                return
            params = {"key": key, "customerId": f"customer-{n % 500}"}
            _timed(load.evaluations, partial(client.get, server.url("/api/widget/config"), params=params))


def _ofrep(server: ServerProcess, key: str, load: Traffic) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=EVALUATION_TIMEOUT_SECONDS, headers=headers) as client:
        for n in itertools.count():
            if load.stopping.is_set():
                return
            body = {"context": {"targetingKey": f"customer-{n % 500}", "organizationId": "org-1"}}
            _timed(load.evaluations, partial(client.post, server.url("/ofrep/v1/evaluate/flags"), json=body))


def _events(server: ServerProcess, key: str, flag: str, load: Traffic) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=EVALUATION_TIMEOUT_SECONDS, headers=headers) as client:
        for n in itertools.count():
            if load.stopping.is_set():
                return
            batch = [
                {"featureName": flag, "customerId": f"customer-{(n * 7 + i) % 500}", "outcome": "success"}
                for i in range(EVENTS_PER_BATCH)
            ]
            load.events_posted += len(batch)
            response = _timed(load.events, partial(client.post, server.url("/api/events"), json=batch))
            if response is not None and response.status_code == 202:
                load.events_accepted += response.json()["accepted"]
                load.events_ignored += response.json()["ignored"]
            time.sleep(0.02)


def _probes(server: ServerProcess, load: Traffic) -> None:
    with httpx.Client(timeout=PROBE_TIMEOUT_SECONDS) as client:
        while not load.stopping.is_set():
            _timed(load.healthz, lambda: client.get(server.url("/healthz")))
            answer = _timed(load.readyz, lambda: client.get(server.url("/readyz")))
            if answer is not None:
                body = {"at": time.monotonic(), "status": answer.status_code, **answer.json()}
                load.readyz_bodies.append(body)
            time.sleep(PROBE_EVERY_SECONDS)


def _writer(server: ServerProcess, flag: str, prefix: str, load: Traffic) -> None:
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(timeout=WRITE_TIMEOUT_SECONDS, headers=headers) as client:
        for n in itertools.count():
            while not load.writing.wait(0.1):
                if load.stopping.is_set():
                    return
            if load.stopping.is_set():
                return
            began = time.monotonic()
            body = {
                "featureName": flag,
                "customerId": f"{prefix}{n}",
                "enabled": True,
                "reason": f"{prefix}{n}",
            }
            try:
                response = client.post(server.url("/api/admin/feature-flags"), json=body)
                write = Write(
                    n,
                    began,
                    response.status_code,
                    time.monotonic() - began,
                    response.headers.get("content-type", ""),
                    response.text[:300],
                )
            except httpx.TransportError as exc:
                write = Write(n, began, type(exc).__name__, time.monotonic() - began, "", str(exc))
            load.writes.append(write)
            time.sleep(WRITE_EVERY_SECONDS)


@contextmanager
def traffic(
    server: ServerProcess,
    client_key: str,
    server_key: str,
    *,
    flag: str,
    write_flag: str | None = None,
    write_prefix: str = "fault-write-",
) -> Iterator[Traffic]:
    """Run widget, OFREP, event and probe traffic (and admin writes while `load.writing` is set)."""
    load = Traffic()
    workers = [
        threading.Thread(target=_widget, args=(server, client_key, load), daemon=True),
        threading.Thread(target=_ofrep, args=(server, server_key, load), daemon=True),
        threading.Thread(target=_events, args=(server, server_key, flag, load), daemon=True),
        threading.Thread(target=_probes, args=(server, load), daemon=True),
    ]
    if write_flag is not None:
        writer_args = (server, write_flag, write_prefix, load)
        workers.append(threading.Thread(target=_writer, args=writer_args, daemon=True))
    for worker in workers:
        worker.start()
    try:
        yield load
    finally:
        load.stopping.set()
        load.writing.set()
        for worker in workers:
            worker.join(WRITE_TIMEOUT_SECONDS + 5)
