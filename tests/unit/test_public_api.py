"""Each package's public surface is a decision: adding or dropping a name must be deliberate.

When this test fails, either the change to `__all__` was a mistake, or it was meant, and the
expected list here changes in the same commit (and the CHANGELOG, where there is one, says so).
"""

from __future__ import annotations

import importlib

import pytest

EXPECTED: dict[str, list[str]] = {
    "flagpilot": ["__version__"],
    "flagpilot.core": [
        "FORMAT_VERSION",
        "NO_DEFAULT",
        "SERVING_STATUSES",
        "TIER_ORDER",
        "TIER_PERCENTAGES",
        "UNSET",
        "CoreError",
        "EnvironmentConfig",
        "ErrorCode",
        "EvaluationContext",
        "EvaluationResult",
        "Explanation",
        "FlagDefinition",
        "FlagState",
        "FlagType",
        "FlagValue",
        "InvalidConfiguration",
        "Problem",
        "Reason",
        "Rollout",
        "RolloutStatus",
        "Snapshot",
        "Step",
        "Tier",
        "bucket",
        "check_config",
        "check_definition",
        "check_states",
        "check_value",
        "ensure_valid",
        "explain_state",
        "frozen_mapping",
        "hash_key",
        "in_rollout",
        "json_value_problem",
        "next_tier",
        "schema_text",
        "servable_states",
        "snapshot_from_dict",
        "snapshot_to_dict",
        "state_from_dict",
        "state_to_dict",
        "text_problem",
        "threshold",
        "tier_index",
        "unleash_normalized",
        "value_matches_type",
    ],
    "flagpilot.presets": [
        "BUILTIN_ENVIRONMENT_VALUES",
        "DEFINITIONS",
        "ENVIRONMENTS",
        "ENV_PREFIX",
        "FLAG_KEYS",
        "ROLLOUT_FLAGS",
        "WIDGET_FIELDS",
        "Overrides",
        "definition",
        "merge",
        "overrides_from_env",
        "overrides_from_toml",
        "preset_states",
        "validate_overrides",
        "widget_document",
    ],
    "flagpilot.cli": ["app", "main"],
    "flagpilot.sdk": [
        "AsyncClient",
        "Change",
        "Client",
        "ContextLike",
        "FlagpilotProvider",
        "Options",
        "OutcomeMetrics",
        "Source",
        "State",
        "Status",
    ],
    "flagpilot.ui": ["CSP", "FLAGS_PATH", "SECURITY_HEADERS", "STATIC_ROOT", "UiServices", "ui_routers"],
    "flagpilot.demo": [
        "VISITORS",
        "WHITELISTS",
        "ConversationStore",
        "DemoError",
        "SiteConfig",
        "Visitor",
        "create_site",
        "run_demo",
    ],
}


@pytest.mark.parametrize("package", sorted(EXPECTED))
def test_all__lists_exactly_the_expected_public_names(package: str) -> None:
    module = importlib.import_module(package)

    assert sorted(module.__all__) == sorted(EXPECTED[package])
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("package", sorted(EXPECTED))
def test_all__names_only_what_the_package_defines(package: str) -> None:
    module = importlib.import_module(package)

    assert [name for name in module.__all__ if not hasattr(module, name)] == []
