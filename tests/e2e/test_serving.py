"""A real server process over real HTTP: widget, OFREP through the OpenFeature SDK, SSE, logs."""

from __future__ import annotations

import json
import signal
import time

import httpx
import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from tests.e2e.server import ServerProcess, running_server


def test_widget_config__plain_get_with_key__shows_phase1_on_and_revalidates(
    server: ServerProcess, client_key: str
) -> None:
    first = httpx.get(server.url("/api/widget/config"), params={"key": client_key})
    again = httpx.get(
        server.url("/api/widget/config"),
        params={"key": client_key},
        headers={"If-None-Match": first.headers["etag"]},
    )

    assert first.json()["sessionPersistence"]["phase1"] == {
        "parentStorage": True,
        "crossDomainMessaging": True,
        "autoRestore": True,
    }
    assert again.status_code == 304


def test_ofrep__openfeature_provider__resolves_flags_and_errors(
    server: ServerProcess, server_key: str
) -> None:
    provider = OFREPProvider(
        server.base_url, headers_factory=lambda: {"Authorization": f"Bearer {server_key}"}
    )
    api.set_provider(provider, domain="e2e-ofrep")
    client = api.get_client(domain="e2e-ofrep")
    context = EvaluationContext(targeting_key="customer-1", attributes={"organizationId": "org-1"})

    on = client.get_boolean_details("phase1_parent_storage", False, context)
    off = client.get_boolean_details("phase2_enhanced_storage", True, context)
    missing = client.get_boolean_details("no_such_flag", True, context)

    assert (on.value, on.reason, on.variant) == (True, Reason.DEFAULT, "on")
    assert (off.value, off.reason) == (False, Reason.DEFAULT)
    assert (missing.value, missing.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)


def test_ofrep__wrong_token__gives_the_default_with_an_error(server: ServerProcess) -> None:
    provider = OFREPProvider(server.base_url, headers_factory=lambda: {"Authorization": "Bearer fp_nope"})
    api.set_provider(provider, domain="e2e-ofrep-bad")

    details = api.get_client(domain="e2e-ofrep-bad").get_boolean_details("phase1_parent_storage", False)

    assert details.value is False
    assert details.error_code == ErrorCode.GENERAL


def test_stream__announces_the_current_version_then_keeps_alive(
    server: ServerProcess, server_key: str
) -> None:
    lines: list[str] = []
    with httpx.stream(
        "GET",
        server.url("/api/sdk/stream"),
        headers={"Authorization": f"Bearer {server_key}"},
        timeout=5,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith(":"):
                break

    current = httpx.get(server.url("/readyz")).json()["snapshotVersion"]
    assert "event: snapshot" in lines
    assert f"id: {current}" in lines
    assert json.loads(next(line[6:] for line in lines if line.startswith("data: "))) == {
        "version": current,
        "environment": "production",
    }


def test_request_log__is_a_json_line_with_the_request_id(server: ServerProcess) -> None:
    httpx.get(server.url("/healthz"), headers={"X-Request-ID": "e2e-trace-7"})

    deadline = time.monotonic() + 5
    while "e2e-trace-7" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.log().splitlines() if "e2e-trace-7" in line)

    assert json.loads(line)["route"] == "/healthz"


def test_docs__are_served(server: ServerProcess) -> None:
    assert httpx.get(server.url("/docs")).status_code == 200
    assert "/docs" in server.log()  # `flagpilot serve` says where the docs are


@pytest.mark.slow
def test_shutdown__with_an_open_stream__exits_promptly() -> None:
    with running_server({"FLAGPILOT_ENVIRONMENT": "staging"}, setup=[["init"]]) as server:
        key = server.issue("server-sdk")
        with httpx.stream(
            "GET", server.url("/api/sdk/stream"), headers={"Authorization": f"Bearer {key}"}, timeout=5
        ) as response:
            next(response.iter_lines())

            seconds = server.stop()

        assert seconds < 3, seconds
        assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
        assert "Application shutdown complete" in server.log()
