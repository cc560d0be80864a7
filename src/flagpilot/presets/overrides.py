"""Environment overrides for the preset, from a TOML config file or environment variables.

Both forms produce `environment → flag key → value` and are validated against the preset, so a
typo in an operator's configuration is an error naming the flag and field, not a silent no-op.

    # flagpilot.toml
    [environments.production]
    phase2_retry_logic = true

    FLAGPILOT_PRESET__PRODUCTION__PHASE2_RETRY_LOGIC=true
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from typing import Any

from flagpilot.core import FlagValue, InvalidConfiguration, Problem, check_states, check_value
from flagpilot.presets.chat_widget import ENVIRONMENTS, definition, preset_states

ENV_PREFIX = "FLAGPILOT_PRESET__"

Overrides = dict[str, dict[str, FlagValue]]


def _parse_scalar(text: str) -> FlagValue:
    """Environment variables are strings: read JSON literals (true, 3, "x"), else the text."""
    try:
        return json.loads(text.strip().lower() if text.strip().lower() in ("true", "false") else text)
    except json.JSONDecodeError:
        return text


def overrides_from_env(environ: Mapping[str, str]) -> Overrides:
    """Collect `FLAGPILOT_PRESET__<ENVIRONMENT>__<FLAG>=<value>` variables."""
    result: Overrides = {}
    problems: list[Problem] = []
    for name, raw in environ.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].split("__")
        if len(parts) != 2 or not all(parts):
            problems.append(Problem(name, "(name)", "expected FLAGPILOT_PRESET__<ENV>__<FLAG>"))
            continue
        environment, key = parts[0].lower(), parts[1].lower()
        result.setdefault(environment, {})[key] = _parse_scalar(raw)
    if problems:
        raise InvalidConfiguration(problems)
    return result


def overrides_from_toml(text: str) -> Overrides:
    """Read the `[environments.<name>]` tables of a TOML config file."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfiguration([Problem("(config file)", "(syntax)", str(exc))]) from exc
    environments = document.get("environments", {})
    if not isinstance(environments, dict):
        raise InvalidConfiguration([Problem("(config file)", "environments", "must be a table")])
    result: Overrides = {}
    problems: list[Problem] = []
    for environment, values in environments.items():
        if not isinstance(values, dict):
            problems.append(
                Problem("(config file)", f"environments.{environment}", "must be a table of flag = value")
            )
            continue
        result[environment] = dict(values)
    if problems:
        raise InvalidConfiguration(problems)
    return result


def merge(*layers: Overrides) -> Overrides:
    """Later layers win: file first, then environment variables."""
    merged: Overrides = {}
    for layer in layers:
        for environment, values in layer.items():
            merged.setdefault(environment, {}).update(values)
    return merged


def validate_overrides(overrides: Mapping[str, Mapping[str, Any]]) -> None:
    """Reject unknown environments, unknown flags, wrong types and broken prerequisites in
    preset overrides: a mistyped `FLAGPILOT_PRESET__QA__…` must not be silently ignored."""
    problems: list[Problem] = []
    for environment, values in overrides.items():
        if environment not in ENVIRONMENTS:
            known = ", ".join(ENVIRONMENTS)
            problems.append(
                Problem(
                    "(preset)",
                    f"environments.{environment}",
                    f"unknown environment; the preset's are {known}",
                )
            )
            continue
        for key, value in values.items():
            found = definition(key)
            if found is None:
                problems.append(Problem(key, f"environments.{environment}", "unknown flag"))
            else:
                problems += check_value(found, f"environments.{environment}", value)
    if not problems:
        for environment in overrides:
            problems += check_states(preset_states(environment, overrides))
    if problems:
        raise InvalidConfiguration(problems)
