"""A real server rolls a rollout back by itself on a burst of error outcomes, and says so.

The server runs the checker every 0.3 s and posts alerts to a receiver on 127.0.0.1 in this
test; everything is driven over HTTP, as an SDK and an operator would.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import ServerProcess, running_server

FLAG = "phase2_enhanced_storage"
STAFF = "YOUR_INTERNAL_CUSTOMER_ID"
RULES = Path(__file__).parents[2] / "deploy" / "prometheus" / "flagpilot-alerts.yml"
DEADLINE_SECONDS = 20.0


class Receiver(ThreadingHTTPServer):
    """Keeps the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/flagpilot"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        assert isinstance(self.server, Receiver)
        self.server.bodies.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(receiver: Receiver) -> Iterator[ServerProcess]:
    environ = {
        "FLAGPILOT_ROLLBACK_CHECK_SECONDS": "0.3",
        "FLAGPILOT_ALERT_WEBHOOK_URL": receiver.url,
        "FLAGPILOT_ALERT_WEBHOOK_ALLOW": "127.0.0.1",
        "FLAGPILOT_ACCESS_LOG": "false",
    }
    with running_server(environ, setup=[["init"]]) as process:
        yield process


def _admin(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_token}"}


def _eventually(probe: Callable[[], Any], seconds: float = DEADLINE_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _evaluate(server: ServerProcess, key: str, customer: str) -> Any:
    response = httpx.post(
        server.url(f"/ofrep/v1/evaluate/flags/{FLAG}"),
        json={"context": {"targetingKey": customer}},
        headers={"Authorization": f"Bearer {key}"},
    )
    response.raise_for_status()
    return response.json()["value"]


def _report(server: ServerProcess, key: str, outcome: str, count: int) -> dict[str, int]:
    response = httpx.post(
        server.url("/api/events"),
        json=[{"featureName": FLAG, "customerId": STAFF, "outcome": outcome, "count": count}],
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 202, response.text
    result: dict[str, int] = response.json()
    return result


def _show(server: ServerProcess) -> dict[str, Any]:
    response = httpx.get(server.url(f"/api/admin/rollout/{FLAG}"), headers=_admin(server))
    response.raise_for_status()
    shown: dict[str, Any] = response.json()
    return shown


def _samples(server: ServerProcess) -> set[str]:
    text = httpx.get(server.url("/metrics")).text
    return {
        line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")
    }


def test_burst_of_error_outcomes__rolls_the_rollout_back_and_the_customer_loses_the_feature(
    server: ServerProcess, receiver: Receiver
) -> None:
    # Given: the checklist's rollout, started, serving the internal customer
    key = server.issue("server-sdk")
    body = {
        "featureName": FLAG,
        "whitelistedCustomers": [STAFF],
        "rollbackThreshold": {"errorRate": 0.05, "timeWindow": 3600000},
        "minEvents": 50,
    }
    assert httpx.post(server.url("/api/admin/rollout"), json=body, headers=_admin(server)).status_code == 201
    started = httpx.post(
        server.url("/api/admin/rollout/start"), json={"featureName": FLAG}, headers=_admin(server)
    )
    assert started.status_code == 200, started.text
    assert _eventually(lambda: _evaluate(server, key, STAFF) is True)
    assert _report(server, key, "success", 10)["accepted"] == 1  # counted from the start on
    assert _eventually(lambda: _show(server)["statistics"]["window"]["treatment"]["successes"] >= 10)
    assert _eventually(lambda: "flagpilot_rollout_error_rate" in _samples(server))

    # When: the feature starts failing for its customers
    _report(server, key, "error", 200)

    # Then: the server rolls it back by itself, and the next evaluation is off
    rolled = _eventually(lambda: _show(server)["status"] == "rolled_back")
    assert rolled, _show(server)
    assert _evaluate(server, key, STAFF) is False
    shown = _show(server)
    assert shown["events"][0]["actor"] == "flagpilot-autorollback"
    assert shown["events"][0]["details"]["evidence"]["window"]["treatment"]["errors"] >= 200
    alerts = httpx.get(server.url("/api/admin/alerts"), headers=_admin(server)).json()
    assert [alert["kind"] for alert in alerts] == ["rollout.auto_rollback"]
    delivered = _eventually(lambda: receiver.bodies)
    assert delivered[0]["alert"]["featureName"] == FLAG
    assert delivered[0]["alert"]["kind"] == "rollout.auto_rollback"
    assert "flagpilot_rollout_auto_rollbacks_total" in _samples(server)


def test_metrics__every_name_the_alert_rules_read__is_exported(server: ServerProcess) -> None:
    # Given: traffic on the widget route, so its latency histogram has samples
    httpx.get(server.url("/api/widget/config"))
    wanted = set(re.findall(r"flagpilot_[a-z_]+", RULES.read_text("utf-8")))
    rates = {
        "flagpilot_rollout_error_rate",
        "flagpilot_rollout_success_rate",
    }  # only while a rollout has events

    # A labelled counter has no sample until its first increment (the first automatic rollback,
    # which another test in this module may or may not have caused yet): its TYPE line is there.
    counters = {"flagpilot_rollout_auto_rollbacks_total"}

    exported = _samples(server)
    text = httpx.get(server.url("/metrics")).text

    assert wanted - rates - counters - exported == set()
    for name in rates:
        assert f"# TYPE {name} gauge" in text
    for name in counters & wanted:
        assert f"# TYPE {name} counter" in text
