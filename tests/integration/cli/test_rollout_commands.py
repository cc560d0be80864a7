"""`flagpilot rollout …` against a real database of each kind, after `flagpilot init`."""

from __future__ import annotations

import pytest

from flagpilot.presets import ROLLOUT_FLAGS
from tests.integration.cli.conftest import Run

FLAG = "phase2_enhanced_storage"


def test_init_preset__creates_the_six_planned_rollouts_at_zero(initialised: Run) -> None:
    result = initialised("rollout", "init-preset", "--internal-customer", "staff-1", "--json")

    assert result.code == 0, result.err
    rollouts = [entry["rollout"] for entry in result.json()]
    assert [entry["result"] for entry in result.json()] == ["created"] * 6
    assert sorted(r["featureName"] for r in rollouts) == sorted(ROLLOUT_FLAGS)
    assert {(r["currentTier"], r["percentage"], r["status"]) for r in rollouts} == {
        ("tier_0_disabled", 0.0, "planned")
    }
    assert {
        (r["rollbackThreshold"]["errorRate"], r["rollbackThreshold"]["timeWindow"]) for r in rollouts
    } == {(0.05, 3_600_000)}
    assert {tuple(r["whitelistedCustomers"]) for r in rollouts} == {("staff-1",)}


def test_init_preset__run_twice__reports_they_exist_and_changes_nothing(initialised: Run) -> None:
    initialised("rollout", "init-preset", "--internal-customer", "staff-1")
    initialised("rollout", "start", FLAG)

    again = initialised("rollout", "init-preset", "--internal-customer", "someone-else", "--json")

    assert again.code == 0, again.err
    assert [entry["result"] for entry in again.json()] == ["exists"] * 6
    started = next(e["rollout"] for e in again.json() if e["rollout"]["featureName"] == FLAG)
    assert (started["status"], started["whitelistedCustomers"]) == ("active", ["staff-1"])


def test_lifecycle__from_create_to_restart__prints_each_state(initialised: Run) -> None:
    created = initialised(
        "rollout",
        "create",
        FLAG,
        "--whitelist",
        "staff-1",
        "--error-rate",
        "0.02",
        "--time-window-ms",
        "600000",
        "--min-dwell-hours",
        "1",
        "--min-events",
        "50",
        "--json",
    )
    outputs = [
        initialised("rollout", "start", FLAG),
        initialised("rollout", "advance", FLAG, "--force", "--reason", "pilot go-ahead"),
        initialised("rollout", "pause", FLAG),
        initialised("rollout", "resume", FLAG),
        initialised("rollout", "rollback", FLAG, "--reason", "Critical bug"),
        initialised("rollout", "restart", FLAG),
    ]
    status = initialised("rollout", "status", FLAG, "--json")
    listed = initialised("rollout", "list")

    assert created.code == 0, created.err
    assert (created.json()["minDwellSeconds"], created.json()["rollbackThreshold"]) == (
        3600,
        {"errorRate": 0.02, "timeWindow": 600000},
    )
    assert [o.code for o in outputs] == [0] * 6, [o.err for o in outputs]
    assert "active at tier_2_early_adopters (10%)" in outputs[1].out
    assert "rolled_back at tier_0_disabled (0%)" in outputs[4].out
    assert [e["eventType"] for e in status.json()["events"]][:2] == ["restarted", "rolled_back"]
    assert FLAG in listed.out
    assert "planned" in listed.out


def test_advance__inside_the_dwell_time__exits_1_naming_the_gate(initialised: Run) -> None:
    initialised("rollout", "create", FLAG)
    initialised("rollout", "start", FLAG)

    refused = initialised("rollout", "advance", FLAG)

    assert refused.code == 1
    assert "must be held until" in refused.err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("create", FLAG, "--error-rate", "1.5"), "--error-rate"),
        (("create", FLAG, "--whitelist", "a", "--whitelist", "a"), "--whitelist"),
        (("create", FLAG, "--env", "nowhere"), "--env"),
        (("advance", FLAG, "--force"), "--reason"),
        (("rollback", FLAG), "--reason"),
        (("init-preset",), "--internal-customer"),
    ],
)
def test_bad_arguments__exit_non_zero_naming_the_argument(
    initialised: Run, args: tuple[str, ...], named: str
) -> None:
    result = initialised("rollout", *args)

    assert result.code != 0
    assert named in result.err


def test_create__of_an_unknown_flag__exits_1_naming_it(initialised: Run) -> None:
    result = initialised("rollout", "create", "no_such_flag")

    assert result.code == 1
    assert "no_such_flag" in result.err
