"""The shipped Prometheus alerting rules parse, and cover the checklist's five alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

RULES = Path(__file__).resolve().parents[4] / "deploy" / "prometheus" / "flagpilot-alerts.yml"

CHECKLIST = {
    "FlagpilotRolloutErrorRateHigh": ("flagpilot_rollout_error_rate", "> 0.05"),
    "FlagpilotRolloutSuccessRateLow": ("flagpilot_rollout_success_rate", "< 0.95"),
    "FlagpilotWidgetConfigSlow": (
        'flagpilot_http_request_duration_seconds_bucket{route="/api/widget/config"}',
        "> 1",
    ),
    "FlagpilotDatabaseQuerySlow": ("flagpilot_db_query_duration_seconds_bucket", "> 0.1"),
    "FlagpilotSnapshotCacheMissRateHigh": ("flagpilot_snapshot_cache_misses_total", "> 0.2"),
}


def rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def test_rules_file__is_a_list_of_named_groups_of_complete_rules() -> None:
    document = yaml.safe_load(RULES.read_text())

    assert all(set(group) == {"name", "rules"} for group in document["groups"])
    for rule in rules().values():
        assert {"alert", "expr", "labels", "annotations"} <= set(rule)
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"]
        assert rule["expr"].count("(") == rule["expr"].count(")")


@pytest.mark.parametrize(("alert", "expected"), CHECKLIST.items())
def test_rules_file__has_the_checklist_alert(alert: str, expected: tuple[str, str]) -> None:
    metric, comparison = expected

    expr = " ".join(rules()[alert]["expr"].split())

    assert metric in expr
    assert expr.endswith(comparison)
