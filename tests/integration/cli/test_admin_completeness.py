"""Every admin action has a command: flag definitions, environments, overrides as JSON, the
default environment, and tokens validated when they are issued."""

from __future__ import annotations

from tests.integration.cli.conftest import Run


def test_flags_create_edit_archive_restore__manage_a_definition_of_any_type(initialised: Run) -> None:
    # When a string flag is created with all its fields, edited, archived and restored
    created = initialised(
        "flags",
        "create",
        "chat_greeting",
        "--type",
        "string",
        "--default",
        '"Hi!"',
        "--phase",
        "2",
        "--description",
        "The greeting",
        "--requires",
        "phase1_parent_storage",
        "--json",
    )
    edited = initialised(
        "flags", "edit", "chat_greeting", "--description", "First words", "--no-phase", "--json"
    )
    archived = initialised("flags", "archive", "chat_greeting", "--reason", "retired", "--json")
    listed = initialised("flags", "list", "--json").json()
    restored = initialised("flags", "restore", "chat_greeting", "--json")

    # Then each step answered the flag as it became
    assert created.code == 0, created.err
    assert created.json()["type"] == "string"
    assert (created.json()["defaultValue"], created.json()["phase"]) == ("Hi!", 2)
    assert created.json()["prerequisites"] == ["phase1_parent_storage"]
    assert (edited.json()["description"], edited.json()["phase"]) == ("First words", None)
    assert archived.json()["archived"] is True
    assert "chat_greeting" not in {flag["key"] for flag in listed}
    assert restored.json()["archived"] is False


def test_flags_create__with_a_cycle__is_refused_naming_it(initialised: Run) -> None:
    initialised("flags", "create", "alpha")
    initialised("flags", "create", "beta", "--requires", "alpha")

    cycle = initialised("flags", "edit", "alpha", "--requires", "beta")

    assert cycle.code == 2
    assert "alpha → beta → alpha" in cycle.err


def test_env_create_and_list__add_an_environment_flags_can_be_set_in(initialised: Run) -> None:
    created = initialised("env", "create", "qa", "--description", "Manual testing", "--json")
    again = initialised("env", "create", "qa")
    listed = initialised("env", "list", "--json").json()
    set_there = initialised("flags", "set", "phase2_retry_logic", "--env", "qa", "--value", "true")

    assert created.json() == {"name": "qa", "description": "Manual testing"}
    assert again.code == 1
    assert "qa" in {environment["name"] for environment in listed}
    assert set_there.code == 0, set_there.err


def test_commands__without_env__act_in_flagpilot_environment(initialised: Run) -> None:
    # When a value and an override are set with no --env, FLAGPILOT_ENVIRONMENT being staging
    value = initialised(
        "flags", "set", "phase2_retry_logic", "--value", "true", FLAGPILOT_ENVIRONMENT="staging"
    )
    override = initialised(
        "override",
        "set",
        "phase2_retry_logic",
        "--customer",
        "c-1",
        "--value",
        "false",
        "--json",
        FLAGPILOT_ENVIRONMENT="staging",
    )
    shown = initialised("flags", "get", "phase2_retry_logic", "--json").json()["environments"]

    # Then both landed in staging, and the override answered JSON
    assert value.code == 0, value.err
    assert override.json() == {
        "flag": "phase2_retry_logic",
        "environment": "staging",
        "scope": "customer",
        "count": 1,
    }
    assert shown["staging"]["value"] is True
    assert "value" not in shown["production"]


def test_flags_kill__records_its_reason(initialised: Run) -> None:
    initialised("flags", "kill", "phase2_retry_logic", "--reason", "retry storm")

    newest = initialised("audit", "--flag", "phase2_retry_logic", "--json").json()[0]

    assert (newest["action"], newest["reason"]) == ("environment.kill", "retry storm")


def test_token_create__with_an_unknown_environment_or_an_empty_org__is_refused(initialised: Run) -> None:
    unknown = initialised("token", "create", "--kind", "client-sdk", "--env", "prod")
    empty_org = initialised("token", "create", "--kind", "client-sdk", "--org", "")
    fine = initialised("token", "create", "--kind", "client-sdk", "--env", "production", "--json")

    assert (unknown.code, empty_org.code) == (2, 2)
    assert "'prod' does not exist" in unknown.err
    assert "organizationId: must not be empty" in empty_org.err
    assert set(fine.json()) >= {"tokenId", "secret", "environment"}


def test_audit__shows_a_tokens_name_beside_its_id(initialised: Run) -> None:
    # Given a change recorded as made with a named token (as the API records it)
    token = initialised("token", "create", "--kind", "admin", "--name", "deploy bot", "--json").json()
    initialised("flags", "kill", "phase2_retry_logic", "--actor", f"token:{token['tokenId']}")

    # When the trail is read
    rows = initialised("audit", "--flag", "phase2_retry_logic", "--json").json()
    table = initialised("audit", "--flag", "phase2_retry_logic").out

    # Then the row names the token, in JSON and in the table
    assert (rows[0]["actor"], rows[0]["actorName"]) == (f"token:{token['tokenId']}", "deploy bot")
    assert f"token:{token['tokenId']} (deploy bot)" in table
