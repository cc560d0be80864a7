"""Preset overrides from flagpilot.toml and FLAGPILOT_PRESET__ENV__FLAG variables, validated."""

from __future__ import annotations

import pytest

from flagpilot.core import InvalidConfiguration
from flagpilot.presets import ENV_PREFIX, merge, overrides_from_env, overrides_from_toml, validate_overrides


def problems_of(overrides: dict[str, dict[str, object]]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidConfiguration) as caught:
        validate_overrides(overrides)
    return [(p.flag, p.field) for p in caught.value.problems]


def test_overrides_from_toml__reads_environment_tables() -> None:
    text = """
    title = "ignored"

    [environments.production]
    phase2_retry_logic = true

    [environments.staging]
    phase2_retry_logic = false
    phase3_analytics = true
    """

    assert overrides_from_toml(text) == {
        "production": {"phase2_retry_logic": True},
        "staging": {"phase2_retry_logic": False, "phase3_analytics": True},
    }


def test_overrides_from_toml__without_environments__is_empty() -> None:
    assert overrides_from_toml("") == {}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[environments", "(syntax)"),
        ("environments = 3", "environments"),
        ("[environments]\nproduction = true", "environments.production"),
    ],
)
def test_overrides_from_toml__of_a_bad_file__names_what_is_wrong(text: str, field: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        overrides_from_toml(text)

    assert [(p.flag, p.field) for p in caught.value.problems] == [("(config file)", field)]


def test_overrides_from_env__reads_prefixed_variables_case_insensitively() -> None:
    environ = {
        "FLAGPILOT_PRESET__PRODUCTION__PHASE2_RETRY_LOGIC": "true",
        "FLAGPILOT_PRESET__staging__phase3_analytics": "FALSE",
        "FLAGPILOT_ENVIRONMENT": "staging",
        "PATH": "/usr/bin",
    }

    assert overrides_from_env(environ) == {
        "production": {"phase2_retry_logic": True},
        "staging": {"phase3_analytics": False},
    }


@pytest.mark.parametrize(
    ("raw", "value"),
    [("True", True), (" false ", False), ("3", 3), ("2.5", 2.5), ('"x"', "x"), ("plain text", "plain text")],
)
def test_overrides_from_env__reads_json_literals_and_falls_back_to_text(raw: str, value: object) -> None:
    assert overrides_from_env({f"{ENV_PREFIX}QA__SOME_FLAG": raw}) == {"qa": {"some_flag": value}}


@pytest.mark.parametrize(
    "name", ["FLAGPILOT_PRESET__PRODUCTION", "FLAGPILOT_PRESET__A__B__C", "FLAGPILOT_PRESET____FLAG"]
)
def test_overrides_from_env__of_a_malformed_name__names_the_variable(name: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        overrides_from_env({name: "true"})

    assert [(p.flag, p.field) for p in caught.value.problems] == [(name, "(name)")]


def test_merge__lets_later_layers_win_per_flag() -> None:
    from_file = {"production": {"phase2_retry_logic": True, "phase3_analytics": True}}
    from_env = {"production": {"phase3_analytics": False}, "staging": {"phase2_retry_logic": True}}

    assert merge(from_file, from_env) == {
        "production": {"phase2_retry_logic": True, "phase3_analytics": False},
        "staging": {"phase2_retry_logic": True},
    }


def test_validate_overrides__of_valid_overrides__passes() -> None:
    validate_overrides(
        {
            "production": {"phase2_enhanced_storage": True, "phase3_tab_sync": True},
            "development": {"phase3_analytics": False},
        }
    )


def test_validate_overrides__of_an_unknown_flag__names_the_flag_and_environment() -> None:
    assert problems_of({"production": {"phase2_retyr_logic": True}}) == [
        ("phase2_retyr_logic", "environments.production")
    ]


def test_validate_overrides__of_a_wrong_type__names_the_flag_and_environment() -> None:
    assert problems_of({"staging": {"phase2_retry_logic": "yes"}}) == [
        ("phase2_retry_logic", "environments.staging")
    ]


def test_validate_overrides__of_a_flag_on_with_its_prerequisite_off__accepts_it() -> None:
    # Tab sync on in production, where enhanced storage (its prerequisite) is off: tab sync then
    # evaluates off for everyone until enhanced storage is on, which is no configuration error.
    validate_overrides({"production": {"phase3_tab_sync": True}})


def test_validate_overrides__from_an_env_variable__names_the_flag() -> None:
    overrides = overrides_from_env({"FLAGPILOT_PRESET__PRODUCTION__PHASE1_PARENT_STORAGE": "yes"})

    assert problems_of(overrides) == [("phase1_parent_storage", "environments.production")]


def test_validate_overrides__for_an_environment_the_preset_does_not_have__names_it() -> None:
    overrides = overrides_from_env({"FLAGPILOT_PRESET__QA__PHASE2_RETRY_LOGIC": "true"})

    assert problems_of(overrides) == [("(preset)", "environments.qa")]
