"""`flagpilot eval`: one flag's result as text or JSON, optionally with every step explained."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.conftest import Run

RESULT_KEYS = ["value", "reason", "variant", "errorCode", "errorMessage", "version", "tier"]


def test_eval_json__prints_exactly_the_result_keys(flagpilot: Run) -> None:
    code, out, _ = flagpilot("eval", "--preset", "phase1_auto_restore", "--customer", "c1", "--json")

    data = json.loads(out)
    assert code == 0
    assert list(data) == RESULT_KEYS
    assert data == {
        "value": True,
        "reason": "DEFAULT",
        "variant": "on",
        "errorCode": None,
        "errorMessage": None,
        "version": 0,
        "tier": None,
    }


def test_eval_json__with_an_env_var_override__is_static(flagpilot: Run) -> None:
    code, out, _ = flagpilot(
        "eval",
        "--preset",
        "phase2_retry_logic",
        "--json",
        FLAGPILOT_PRESET__PRODUCTION__PHASE2_RETRY_LOGIC="true",
    )

    assert code == 0
    assert {k: v for k, v in json.loads(out).items() if k in ("value", "reason")} == {
        "value": True,
        "reason": "STATIC",
    }


def test_eval__in_development__serves_the_environment_value(flagpilot: Run) -> None:
    code, out, _ = flagpilot("eval", "--preset", "phase3_analytics", "--env", "development", "--json")

    assert (code, json.loads(out)["reason"], json.loads(out)["value"]) == (0, "STATIC", True)


def test_eval__with_a_toml_config__applies_it(flagpilot: Run, workdir: Path) -> None:
    # Given a config file turning retry logic on in staging
    config = workdir / "custom.toml"
    config.write_text("[environments.staging]\nphase2_retry_logic = true\n", encoding="utf-8")

    # When staging is evaluated with that file
    code, out, _ = flagpilot(
        "eval", "--preset", "phase2_retry_logic", "--env", "staging", "--json", FLAGPILOT_CONFIG=str(config)
    )

    # Then the file's value is served
    assert (code, json.loads(out)["value"], json.loads(out)["reason"]) == (0, True, "STATIC")


def test_eval__with_the_master_switch_off__serves_the_builtin_default(flagpilot: Run) -> None:
    code, out, _ = flagpilot(
        "eval",
        "--preset",
        "phase2_retry_logic",
        "--json",
        FLAGPILOT_FLAGS_ENABLED="false",
        FLAGPILOT_PRESET__PRODUCTION__PHASE2_RETRY_LOGIC="true",
    )

    assert (code, json.loads(out)["value"], json.loads(out)["reason"]) == (0, False, "DEFAULT")


def test_eval_text__prints_value_reason_and_version(flagpilot: Run) -> None:
    code, out, _ = flagpilot("eval", "--preset", "phase1_auto_restore", "--customer", "c1")

    assert code == 0
    assert out.strip() == "phase1_auto_restore = true  reason=DEFAULT  version=0"


def test_eval_explain__lists_the_seven_steps_and_marks_the_one_that_applied(flagpilot: Run) -> None:
    code, out, _ = flagpilot("eval", "--preset", "phase1_auto_restore", "--customer", "c1", "--explain")

    lines = out.splitlines()
    assert code == 0
    # Step 1 is the kill switch and then, for a flag with prerequisites, the prerequisites.
    assert [line.lstrip(" →").split(".")[0] for line in lines[1:]] == ["1", "1", "2", "3", "4", "5", "6", "7"]
    assert "every prerequisite is on: 'phase1_parent_storage'" in lines[2]
    assert [line for line in lines if "→" in line] == ["  → 7. default value: the flag's default value"]
    assert "no override for customer 'c1'" in out


def test_eval_explain_json__adds_the_steps_to_the_result(flagpilot: Run) -> None:
    code, out, _ = flagpilot(
        "eval", "--preset", "phase2_retry_logic", "--customer", "c1", "--explain", "--json"
    )

    data = json.loads(out)
    assert code == 0
    assert list(data) == [*RESULT_KEYS, "steps"]
    assert [step["order"] for step in data["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert set(data["steps"][0]) == {"order", "source", "applied", "detail"}


def test_eval__of_an_unknown_flag__exits_1_naming_the_error(flagpilot: Run) -> None:
    code, out, err = flagpilot("eval", "--preset", "phase9_teleport", "--customer", "c1")

    assert code == 1
    assert "reason=ERROR" in out
    assert "FLAG_NOT_FOUND" in err
    assert "phase9_teleport" in err


def test_eval_json__of_an_unknown_flag__exits_1_with_the_error_code(flagpilot: Run) -> None:
    code, out, _ = flagpilot("eval", "--preset", "phase9_teleport", "--json")

    assert code == 1
    assert json.loads(out)["errorCode"] == "FLAG_NOT_FOUND"


def test_eval__with_an_override_of_an_unknown_flag__fails_naming_it(flagpilot: Run) -> None:
    code, _, err = flagpilot(
        "eval", "--preset", "phase1_auto_restore", FLAGPILOT_PRESET__PRODUCTION__PHASE9_TELEPORT="true"
    )

    assert code == 2
    assert "invalid configuration" in err
    assert "phase9_teleport" in err


def test_eval__with_a_missing_config_file__fails_naming_the_file(flagpilot: Run, workdir: Path) -> None:
    missing = workdir / "absent.toml"

    code, _, err = flagpilot("eval", "--preset", "phase1_auto_restore", FLAGPILOT_CONFIG=str(missing))

    assert code == 2
    assert "cannot read configuration" in err
    assert "absent.toml" in err


def test_eval__without_a_database__refuses_and_creates_no_file(flagpilot: Run, workdir: Path) -> None:
    code, out, err = flagpilot("eval", "phase1_auto_restore")

    assert (code, out) == (1, "")
    assert "is not initialised: run `flagpilot init`" in err
    assert "--preset" in err
    assert list(workdir.iterdir()) == []


def test_widget_config__on_an_empty_database_file__refuses(flagpilot: Run, workdir: Path) -> None:
    (workdir / "flagpilot.db").write_bytes(b"")

    code, _, err = flagpilot("widget-config", "--customer", "c1")

    assert code == 1
    assert "is not initialised" in err


def test_eval__with_an_unknown_default_environment__blames_the_variable_not_the_option(
    flagpilot: Run,
) -> None:
    code, _, err = flagpilot("eval", "--preset", "phase1_auto_restore", FLAGPILOT_ENVIRONMENT="prod")

    assert code == 2
    assert "FLAGPILOT_ENVIRONMENT: environment 'prod'" in err
    assert "--env" not in err
