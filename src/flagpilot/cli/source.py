"""Where CLI evaluation reads flags from: the preset with the configured environment overrides."""

from __future__ import annotations

from flagpilot.core import InvalidConfiguration, Snapshot
from flagpilot.presets import (
    merge,
    overrides_from_env,
    overrides_from_toml,
    preset_states,
    validate_overrides,
)
from flagpilot.settings import Settings


def preset_overrides(settings: Settings) -> dict[str, dict[str, object]]:
    """The operator's preset overrides: config file first, environment variables over it."""
    layers = []
    if settings.config_file is not None:
        layers.append(overrides_from_toml(settings.config_file.read_text("utf-8")))
    layers.append(overrides_from_env(settings.environ))
    overrides = merge(*layers)
    validate_overrides(overrides)
    return overrides


def load_snapshot(settings: Settings, environment: str) -> Snapshot:
    """A snapshot of `environment` built from the preset and the operator's overrides."""
    try:
        states = preset_states(environment, preset_overrides(settings))
    except OSError as exc:
        raise InvalidConfiguration([]) from exc
    return Snapshot(states, environment=environment, version=0, flags_enabled=settings.flags_enabled)
