"""Installing the chat-widget preset into an empty (or partly filled) database, idempotently.

Only what is missing is created: an environment or flag that exists is left exactly as it is,
so running the installation twice changes nothing the second time, and an operator's changes
are never overwritten. New flags get the preset's environment values (development: every phase
on) merged with the operator's overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flagpilot.core import FlagValue
from flagpilot.presets import BUILTIN_ENVIRONMENT_VALUES, DEFINITIONS, ENVIRONMENTS
from flagpilot.services.flags.manager import FlagManager

PRESET_REASON = "chat-widget preset"


@dataclass(frozen=True, slots=True)
class PresetReport:
    """What installing the preset did."""

    environments: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether anything was created."""
        return bool(self.environments or self.flags or self.values)


def install_preset(
    manager: FlagManager,
    *,
    actor: str,
    overrides: Mapping[str, Mapping[str, FlagValue]] | None = None,
) -> PresetReport:
    """Create the preset's missing environments and flags, with their environment values.

    Args:
        manager: the flag manager to create them through (audited like any change).
        actor: who installs the preset.
        overrides: the operator's preset overrides, environment → flag → value.
    """
    existing_environments = {env.name for env in manager.list_environments()}
    created_environments = []
    for name in ENVIRONMENTS:
        if name not in existing_environments:
            manager.create_environment(name, actor=actor)
            created_environments.append(name)
    existing_flags = {view.key for view in manager.list_flags(include_archived=True)}
    created_flags = []
    for definition in DEFINITIONS:
        if definition.key not in existing_flags:
            manager.create_flag(definition, actor=actor, reason=PRESET_REASON)
            created_flags.append(definition.key)
    values = []
    for environment in ENVIRONMENTS:
        configured = dict(BUILTIN_ENVIRONMENT_VALUES.get(environment, {}))
        configured.update((overrides or {}).get(environment, {}))
        for definition in DEFINITIONS:
            if definition.key in created_flags and definition.key in configured:
                manager.set_value(
                    definition.key, environment, configured[definition.key], actor=actor, reason=PRESET_REASON
                )
                values.append((environment, definition.key))
    return PresetReport(tuple(created_environments), tuple(created_flags), tuple(values))
