"""`flagpilot flags`, `override`, `audit`, `eval` and `widget-config` over the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from flagpilot.storage import build_engine
from tests.integration.cli.conftest import Run

FLAG = "phase2_enhanced_storage"


def test_flags_set_kill_unkill__change_the_flag_and_eval_sees_it(initialised: Run) -> None:
    # When
    set_result = initialised("flags", "set", FLAG, "--env", "production", "--value", "true", "--reason", "go")
    on = initialised("eval", FLAG, "--customer", "c1", "--json")
    kill = initialised("flags", "kill", FLAG, "--env", "production", "--reason", "incident")
    off = initialised("eval", FLAG, "--customer", "c1", "--json")
    unkill = initialised("flags", "unkill", FLAG, "--env", "production", "--reason", "fixed")

    # Then
    assert (set_result.code, kill.code, unkill.code) == (0, 0, 0)
    assert (on.json()["value"], on.json()["reason"]) == (True, "STATIC")
    assert (off.json()["value"], off.json()["reason"]) == (False, "DISABLED")
    assert off.json()["version"] > on.json()["version"]
    shown = initialised("flags", "get", FLAG, "--json").json()
    assert (
        shown["environments"]["production"] | {"killed": False, "value": True}
        == shown["environments"]["production"]
    )
    actions = [row["action"] for row in initialised("audit", "--flag", FLAG, "--json").json()]
    assert actions[:3] == ["environment.unkill", "environment.kill", "environment.set_value"]


def test_flags_set__errors__name_the_argument_and_exit_non_zero(initialised: Run) -> None:
    bad_json = initialised("flags", "set", FLAG, "--env", "production", "--value", "{oops")
    wrong_type = initialised("flags", "set", FLAG, "--env", "production", "--value", "3")
    unknown = initialised("flags", "set", "nope", "--env", "production", "--value", "true")
    no_env = initialised("flags", "set", FLAG, "--env", "moon", "--value", "true")

    assert (bad_json.code, "--value" in bad_json.err) == (2, True)
    assert (wrong_type.code, f"{FLAG}.value" in wrong_type.err) == (2, True)
    assert (unknown.code, "'nope'" in unknown.err) == (1, True)
    assert (no_env.code, "'moon'" in no_env.err) == (1, True)


def test_flags_set__with_a_stale_expected_version__is_a_conflict(initialised: Run) -> None:
    version = initialised("flags", "get", FLAG, "--json").json()["version"]
    initialised(
        "flags", "set", FLAG, "--env", "staging", "--value", "true", "--expected-version", str(version)
    )

    stale = initialised(
        "flags", "set", FLAG, "--env", "staging", "--value", "false", "--expected-version", str(version)
    )

    assert stale.code == 1
    assert "version conflict" in stale.err


def test_override_set_and_clear__for_customers_and_organizations(initialised: Run) -> None:
    # When
    customers = initialised(
        "override", "set", FLAG, "--customer", "c1", "--customer", "c2", "--value", "true"
    )
    org = initialised("override", "set", FLAG, "--org", "acme", "--value", "true", "--env", "staging")
    for_c1 = initialised("eval", FLAG, "--customer", "c1", "--json")
    cleared = initialised("override", "clear", FLAG, "--customer", "c1")
    after = initialised("eval", FLAG, "--customer", "c1", "--json")
    listed = initialised("override", "list", FLAG, "--json").json()

    # Then
    assert (customers.code, org.code, cleared.code) == (0, 0, 0)
    assert (for_c1.json()["value"], for_c1.json()["reason"]) == (True, "TARGETING_MATCH")
    assert after.json()["value"] is False
    assert [item["subjectId"] for item in listed["items"]] == ["c2"]


def test_override_set_and_clear__read_customer_ids_from_a_file_in_one_audited_change(
    initialised: Run, tmp_path: Path
) -> None:
    # Given: a file of ids, one a line, with blank lines and a repeat
    ids = tmp_path / "pilot.txt"
    ids.write_text("c1\n\n  c2  \nc3\nc1\n", "utf-8")

    # When
    set_result = initialised(
        "override", "set", FLAG, "--customers-from", str(ids), "--customer", "c4", "--value", "true", "--json"
    )
    audit = initialised("audit", "--flag", FLAG, "--json").json()
    cleared = initialised("override", "clear", FLAG, "--customers-from", str(ids), "--json")
    listed = initialised("override", "list", FLAG, "--json").json()

    # Then
    assert (set_result.code, set_result.json()["count"]) == (0, 4)
    assert [row["action"] for row in audit].count("override.set_many") == 1, audit
    assert (cleared.code, cleared.json()["count"]) == (0, 3)
    assert [item["subjectId"] for item in listed["items"]] == ["c4"]


def test_override_set__an_unreadable_ids_file__is_named_and_nothing_written(
    initialised: Run, tmp_path: Path
) -> None:
    result = initialised(
        "override", "set", FLAG, "--customers-from", str(tmp_path / "missing.txt"), "--value", "true"
    )

    assert result.code == 2
    assert "--customers-from" in result.err
    assert initialised("override", "list", FLAG, "--json").json()["items"] == []


def test_override_set__without_a_target__names_the_options(initialised: Run) -> None:
    result = initialised("override", "set", FLAG, "--value", "true")

    assert result.code == 2
    assert "--customer" in result.err
    assert "--org" in result.err


def test_emergency_sql__is_served_by_eval_and_listed_in_the_audit_as_database(
    initialised: Run, empty_database_url: str
) -> None:
    # Given
    initialised("flags", "set", FLAG, "--env", "production", "--value", "true")
    engine = build_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE flag_environments SET killed = true WHERE flag_key = :f AND environment = :e"),
            {"f": FLAG, "e": "production"},
        )
    engine.dispose()

    # When
    evaluated = initialised("eval", FLAG, "--customer", "c1", "--json")
    audit = initialised("audit", "--actor", "database", "--json")
    verify = initialised("audit", "verify")

    # Then
    assert evaluated.json()["reason"] == "DISABLED"
    assert [(row["action"], row["flag"]) for row in audit.json()] == [("database.update", FLAG)]
    assert verify.code == 0
    assert "1 newly sealed" in verify.out


def test_audit_verify__after_tampering__exits_1_naming_the_row(
    initialised: Run, empty_database_url: str
) -> None:
    # Given
    target = initialised("audit", "--json", "--limit", "1").json()[0]["id"] - 3
    engine = build_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE feature_flag_changes SET reason = 'rewritten' WHERE id = :id"), {"id": target}
        )
    engine.dispose()

    # When
    result = initialised("audit", "verify")

    # Then
    assert result.code == 1
    assert f"broken at row {target}" in result.err


def test_audit__filters_by_actor_and_since(initialised: Run) -> None:
    initialised("flags", "kill", FLAG, "--env", "staging", "--actor", "oncall")

    recent = initialised("audit", "--actor", "oncall", "--since", "10m", "--json").json()
    future = initialised("audit", "--since", "2999-01-01", "--json").json()
    bad = initialised("audit", "--since", "yesterday")

    assert [row["actor"] for row in recent] == ["oncall"]
    assert future == []
    assert bad.code == 2
    assert "--since" in bad.err


def test_widget_config__reads_the_database_in_the_same_format(initialised: Run) -> None:
    initialised("override", "set", "phase3_analytics", "--customer", "c1", "--value", "true")

    document = initialised("widget-config", "--customer", "c1").json()

    assert document["sessionPersistence"]["phase3"] == {
        "tabSync": False,
        "performanceMode": False,
        "analytics": True,
    }
    assert document["sessionPersistence"]["phase1"]["autoRestore"] is True
