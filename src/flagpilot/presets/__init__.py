"""Built-in default configurations: the chat widget's session-persistence phases."""

from flagpilot.presets.chat_widget import (
    BUILTIN_ENVIRONMENT_VALUES,
    DEFINITIONS,
    ENVIRONMENTS,
    FLAG_KEYS,
    ROLLOUT_FLAGS,
    WIDGET_FIELDS,
    definition,
    preset_states,
    widget_document,
)
from flagpilot.presets.overrides import (
    ENV_PREFIX,
    Overrides,
    merge,
    overrides_from_env,
    overrides_from_toml,
    validate_overrides,
)

__all__ = [
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
]
