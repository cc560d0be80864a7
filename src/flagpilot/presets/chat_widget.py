"""The chat widget's session-persistence flags: the configuration flagpilot ships with.

Phase 1 is on by default (production-ready); phases 2 and 3 are off and opt-in. Development
turns every phase on; staging and production follow the defaults unless configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flagpilot.core import EnvironmentConfig, FlagDefinition, FlagState, FlagValue

ENVIRONMENTS: tuple[str, ...] = ("development", "staging", "production")

# (flag key, widget field, description, prerequisites), per phase.
_PHASES: dict[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    "phase1": (
        (
            "phase1_parent_storage",
            "parentStorage",
            "Keep the conversation id in the parent page's storage.",
            (),
        ),
        (
            "phase1_cross_domain_messaging",
            "crossDomainMessaging",
            "postMessage bridge between the widget iframe and the host page.",
            (),
        ),
        (
            "phase1_auto_restore",
            "autoRestore",
            "Restore the last conversation when the page reloads.",
            ("phase1_parent_storage",),
        ),
    ),
    "phase2": (
        (
            "phase2_enhanced_storage",
            "enhancedStorage",
            "Compressed, versioned conversation storage.",
            ("phase1_parent_storage",),
        ),
        (
            "phase2_connection_monitoring",
            "connectionMonitoring",
            "Detect dropped connections and report them.",
            ("phase1_cross_domain_messaging",),
        ),
        ("phase2_retry_logic", "retryLogic", "Retry failed sends with backoff.", ()),
    ),
    "phase3": (
        (
            "phase3_tab_sync",
            "tabSync",
            "Keep one conversation in step across browser tabs.",
            ("phase2_enhanced_storage",),
        ),
        ("phase3_performance_mode", "performanceMode", "Lazy-load history and defer non-critical work.", ()),
        ("phase3_analytics", "analytics", "Session-persistence analytics events.", ()),
    ),
}

WIDGET_FIELDS: dict[str, dict[str, str]] = {
    phase: {field: key for key, field, _, _ in flags} for phase, flags in _PHASES.items()
}
"""Widget document layout: phase → widget field → flag key."""

DEFINITIONS: tuple[FlagDefinition, ...] = tuple(
    FlagDefinition(
        key=key,
        default=phase == "phase1",
        phase=int(phase[-1]),
        description=description,
        prerequisites=prerequisites,
    )
    for phase, flags in _PHASES.items()
    for key, _, description, prerequisites in flags
)
"""The nine preset flags, phase 1 first."""

FLAG_KEYS: tuple[str, ...] = tuple(definition.key for definition in DEFINITIONS)

ROLLOUT_FLAGS: tuple[str, ...] = tuple(key for key in FLAG_KEYS if not key.startswith("phase1_"))
"""The opt-in flags that ship with a planned rollout each (phases 2 and 3)."""

BUILTIN_ENVIRONMENT_VALUES: dict[str, dict[str, FlagValue]] = {
    "development": dict.fromkeys(FLAG_KEYS, True),
    "staging": {},
    "production": {},
}
"""Environment values before any configuration: development enables every phase."""


def definition(key: str) -> FlagDefinition | None:
    """The preset definition of `key`, if it is a preset flag."""
    return next((d for d in DEFINITIONS if d.key == key), None)


def preset_states(
    environment: str, overrides: Mapping[str, Mapping[str, FlagValue]] | None = None
) -> list[FlagState]:
    """The preset flags as configured for `environment`.

    Args:
        environment: the environment name; unknown environments follow the defaults.
        overrides: environment → flag key → value, from a config file or environment variables
            (see `flagpilot.presets.overrides`); applied over the built-in environment values.
    """
    values = dict(BUILTIN_ENVIRONMENT_VALUES.get(environment, {}))
    values.update((overrides or {}).get(environment, {}))
    return [
        FlagState(definition=d, config=EnvironmentConfig(value=values[d.key]))
        if d.key in values
        else FlagState(definition=d)
        for d in DEFINITIONS
    ]


def widget_document(values: Mapping[str, Any]) -> dict[str, Any]:
    """The chat widget's configuration document from evaluated flag values (key → value).

    A flag missing from `values`, or not exactly `True`, is reported as off.
    """
    return {
        "sessionPersistence": {
            phase: {field: values.get(key) is True for field, key in fields.items()}
            for phase, fields in WIDGET_FIELDS.items()
        }
    }
