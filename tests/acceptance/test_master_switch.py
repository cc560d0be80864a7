"""The master switch (`FLAGPILOT_FLAGS_ENABLED=false`): built-in defaults for every evaluation.

Two servers on one database with customer overrides and an environment value: one with the
switch on shows that the data takes effect; the other, switched off, ignores all of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.acceptance.checklist import STEP5_EXPECTED_PHASE1
from tests.acceptance.conftest import replica
from tests.acceptance.operator import Operator
from tests.e2e.server import ServerProcess

# One worker runs the whole module, so its database and servers are set up once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("acceptance_master_switch")]

VIP = "vip-customer-1"
OVERRIDDEN = {
    ("phase2_enhanced_storage", True),
    ("phase1_auto_restore", False),
}


@pytest.fixture(scope="module")
def database_setup() -> list[list[str]]:
    """Step 1, then overrides for one customer and a production value that differ from the defaults."""
    return [
        ["init"],
        *(
            ["override", "set", flag, "--value", "true" if value else "false", "--customer", VIP]
            for flag, value in OVERRIDDEN
        ),
        ["flags", "set", "phase3_analytics", "--env", "production", "--value", "true"],
    ]


@pytest.fixture(scope="module")
def switched_off(checklist_database: str) -> Iterator[Operator]:
    """A server with the master switch off, over the same database."""
    with replica(checklist_database, FLAGPILOT_FLAGS_ENABLED="false") as calls:
        yield calls


def ofrep(server: ServerProcess, flag: str, customer_id: str) -> dict[str, Any]:
    """An OFREP single evaluation of `flag` for `customer_id`."""
    response = httpx.post(
        server.url(f"/ofrep/v1/evaluate/flags/{flag}"),
        json={"context": {"targetingKey": customer_id}},
        headers={"Authorization": f"Bearer {server.issue('server-sdk')}"},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_master_switch_on__the_overrides_and_environment_value_take_effect(operator: Operator) -> None:
    # Given a server with the switch on, over a customer's overrides and a production value
    # When the widget asks for that customer
    document = operator.widget(VIP)

    # Then the overrides and the environment value show (so the switched-off test means something)
    assert document["phase2"]["enhancedStorage"] is True
    assert document["phase1"]["autoRestore"] is False
    assert document["phase3"]["analytics"] is True


def test_master_switch_off__the_widget_shows_the_built_in_defaults_despite_overrides(
    switched_off: Operator,
) -> None:
    # Given a server with FLAGPILOT_FLAGS_ENABLED=false over the same data
    # When the widget asks for the overridden customer
    document = switched_off.widget(VIP)

    # Then phase 1 is on and phases 2 and 3 are off, as built in
    assert document["phase1"] == STEP5_EXPECTED_PHASE1
    assert set(document["phase2"].values()) == {False}
    assert set(document["phase3"].values()) == {False}


def test_master_switch_off__ofrep_answers_the_built_in_default_with_reason_default(
    switched_off: Operator,
) -> None:
    # Given a server with the switch off
    # When OFREP evaluates the overridden flags and the one with a production value
    answers = {
        flag: ofrep(switched_off.server, flag, VIP)
        for flag in ("phase2_enhanced_storage", "phase1_auto_restore", "phase3_analytics")
    }

    # Then each is its built-in default, with reason DEFAULT
    assert {flag: (a["value"], a["reason"]) for flag, a in answers.items()} == {
        "phase2_enhanced_storage": (False, "DEFAULT"),
        "phase1_auto_restore": (True, "DEFAULT"),
        "phase3_analytics": (False, "DEFAULT"),
    }


def test_master_switch_off__readyz_and_metrics_say_so(server: ServerProcess, switched_off: Operator) -> None:
    # Given one server with the switch on and one with it off
    # When their readiness and metrics are read
    on_ready, off_ready = (httpx.get(s.url("/readyz")) for s in (server, switched_off.server))
    on_metrics, off_metrics = (httpx.get(s.url("/metrics")).text for s in (server, switched_off.server))

    # Then both stay ready (a switched-off replica still answers), and each says where its switch is
    assert (on_ready.status_code, off_ready.status_code) == (200, 200)
    assert (on_ready.json()["flagsEnabled"], off_ready.json()["flagsEnabled"]) == (True, False)
    assert "master switch off" in off_ready.json()["checks"]["flagsEnabled"]["detail"]
    assert "flagpilot_flags_enabled 1.0" in on_metrics.splitlines()
    assert "flagpilot_flags_enabled 0.0" in off_metrics.splitlines()
