"""`flagpilot widget-config`: the chat widget's document, resolved for one customer."""

from __future__ import annotations

import json

from tests.unit.cli.conftest import Run


def test_widget_config__prints_the_resolved_document(flagpilot: Run) -> None:
    code, out, _ = flagpilot(
        "widget-config",
        "--preset",
        "--customer",
        "c1",
        FLAGPILOT_PRESET__PRODUCTION__PHASE2_RETRY_LOGIC="true",
    )

    assert code == 0
    assert json.loads(out) == {
        "sessionPersistence": {
            "phase1": {"parentStorage": True, "crossDomainMessaging": True, "autoRestore": True},
            "phase2": {"enhancedStorage": False, "connectionMonitoring": False, "retryLogic": True},
            "phase3": {"tabSync": False, "performanceMode": False, "analytics": False},
        }
    }


def test_widget_config__for_an_anonymous_visitor_in_development__turns_every_phase_on(flagpilot: Run) -> None:
    code, out, _ = flagpilot("widget-config", "--preset", "--env", "development")

    document = json.loads(out)["sessionPersistence"]
    assert code == 0
    assert all(all(fields.values()) for fields in document.values())


def test_widget_config__with_a_mistyped_override__fails_naming_the_flag(flagpilot: Run) -> None:
    # "1" reads as the number 1, not as true: a boolean flag refuses it.
    code, _, err = flagpilot(
        "widget-config", "--preset", FLAGPILOT_PRESET__PRODUCTION__PHASE2_RETRY_LOGIC="1"
    )

    assert code == 2
    assert "phase2_retry_logic" in err
