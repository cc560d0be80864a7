"""The chat-widget preset: nine flags in three phases, per-environment values, the widget document."""

from __future__ import annotations

import pytest

from flagpilot.core import EvaluationContext, FlagType, Reason, Snapshot, check_states
from flagpilot.presets import (
    DEFINITIONS,
    ENVIRONMENTS,
    FLAG_KEYS,
    ROLLOUT_FLAGS,
    WIDGET_FIELDS,
    definition,
    preset_states,
    widget_document,
)

PHASE1 = ["phase1_parent_storage", "phase1_cross_domain_messaging", "phase1_auto_restore"]
PHASE2 = ["phase2_enhanced_storage", "phase2_connection_monitoring", "phase2_retry_logic"]
PHASE3 = ["phase3_tab_sync", "phase3_performance_mode", "phase3_analytics"]


def test_preset__has_nine_boolean_flags_phase1_on_and_phases_2_and_3_off() -> None:
    assert list(FLAG_KEYS) == PHASE1 + PHASE2 + PHASE3
    assert {(d.key, d.type, d.default, d.phase) for d in DEFINITIONS} == {
        *((key, FlagType.BOOL, True, 1) for key in PHASE1),
        *((key, FlagType.BOOL, False, 2) for key in PHASE2),
        *((key, FlagType.BOOL, False, 3) for key in PHASE3),
    }
    assert list(ROLLOUT_FLAGS) == PHASE2 + PHASE3


def test_preset__prerequisites_name_earlier_preset_flags() -> None:
    for flag in DEFINITIONS:
        for required in flag.prerequisites:
            assert FLAG_KEYS.index(required) < FLAG_KEYS.index(flag.key)


def test_preset__is_valid_as_shipped_in_every_environment() -> None:
    for environment in (*ENVIRONMENTS, "qa"):
        assert check_states(preset_states(environment)) == []


def test_preset_states__in_development__turn_every_phase_on_as_environment_values() -> None:
    results = Snapshot(preset_states("development"), environment="development", version=1).evaluate_all(
        EvaluationContext(customer_id="c-1")
    )

    assert {(r.value, r.reason) for r in results.values()} == {(True, Reason.STATIC)}


@pytest.mark.parametrize("environment", ["staging", "production", "an-unknown-one"])
def test_preset_states__elsewhere__follow_the_defaults(environment: str) -> None:
    states = preset_states(environment)

    assert [s.key for s in states] == list(FLAG_KEYS)
    assert not any(s.config.has_value or s.config.rollout or s.config.killed for s in states)


def test_preset_states__apply_overrides_for_their_environment_only() -> None:
    # Given an override turning retry logic on in staging
    overrides = {"staging": {"phase2_retry_logic": True}}

    # When the staging and production presets are built
    staging = {s.key: s for s in preset_states("staging", overrides)}
    production = {s.key: s for s in preset_states("production", overrides)}

    # Then staging has the environment value, production does not
    assert staging["phase2_retry_logic"].config.value is True
    assert not production["phase2_retry_logic"].config.has_value


def test_preset_states__overrides_win_over_the_builtin_development_values() -> None:
    states = {s.key: s for s in preset_states("development", {"development": {"phase3_analytics": False}})}

    assert states["phase3_analytics"].config.value is False
    assert states["phase3_tab_sync"].config.value is True


def test_definition__finds_preset_flags_only() -> None:
    assert definition("phase2_retry_logic") is DEFINITIONS[5]
    assert definition("phase9_teleport") is None


def test_widget_fields__map_every_preset_flag_once() -> None:
    mapped = [key for fields in WIDGET_FIELDS.values() for key in fields.values()]

    assert sorted(mapped) == sorted(FLAG_KEYS)


def test_widget_document__has_the_checklists_shape() -> None:
    # Given phase 1 on and one phase-2 flag on
    values = {key: key.startswith("phase1_") for key in FLAG_KEYS} | {"phase2_retry_logic": True}

    # When the document is built, Then it is exactly the widget's configuration document
    assert widget_document(values) == {
        "sessionPersistence": {
            "phase1": {"parentStorage": True, "crossDomainMessaging": True, "autoRestore": True},
            "phase2": {"enhancedStorage": False, "connectionMonitoring": False, "retryLogic": True},
            "phase3": {"tabSync": False, "performanceMode": False, "analytics": False},
        }
    }


def test_widget_document__reports_missing_and_non_true_values_as_off() -> None:
    # Given values that are absent, None, truthy-but-not-True, or an error's fallback
    values = {
        "phase1_parent_storage": 1,
        "phase1_cross_domain_messaging": "true",
        "phase1_auto_restore": None,
    }

    document = widget_document(values)

    # Then only exactly True is on
    assert document["sessionPersistence"]["phase1"] == {
        "parentStorage": False,
        "crossDomainMessaging": False,
        "autoRestore": False,
    }
    assert not any(document["sessionPersistence"]["phase2"].values())
