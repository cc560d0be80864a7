"""Checks that reject a bad configuration before it is stored, naming the flag and the field."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from flagpilot.core.enums import FlagType
from flagpilot.core.errors import InvalidConfiguration, Problem, shown
from flagpilot.core.model import EnvironmentConfig, FlagDefinition, FlagState, value_matches_type
from flagpilot.core.prerequisites import prerequisite_problems

FLAG_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,127}$")
"""Flag keys: lower case, start with a letter, at most 128 characters."""


def _json_safe(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_safe(item) for item in value)
    return value is None or isinstance(value, bool | int | str)


def check_value(flag: FlagDefinition, field: str, value: object) -> list[Problem]:
    """Problems with `value` as a value of `flag` (type and JSON-representability)."""
    if not value_matches_type(value, flag.type) or not _json_safe(value):
        return [Problem(flag.key, field, f"{shown(value)} is not a {flag.type.value} value")]
    return []


def check_definition(flag: FlagDefinition) -> list[Problem]:
    """Problems with a flag definition on its own."""
    problems: list[Problem] = []
    if not FLAG_KEY.match(flag.key):
        problems.append(
            Problem(
                flag.key,
                "key",
                f"{shown(flag.key)} must be lower case letters, digits, '_', '.' or '-', start with a "
                f"letter and have at most 128 characters ({FLAG_KEY.pattern})",
            )
        )
    if flag.phase is not None and flag.phase not in (1, 2, 3):
        problems.append(Problem(flag.key, "phase", f"must be 1, 2, 3 or null, not {shown(flag.phase)}"))
    problems += check_value(flag, "default", flag.default)
    if flag.key in flag.prerequisites:
        problems.append(Problem(flag.key, "prerequisites", "a flag cannot require itself"))
    return problems


def check_config(flag: FlagDefinition, config: EnvironmentConfig) -> list[Problem]:
    """Problems with one environment's configuration of `flag`."""
    problems: list[Problem] = []
    if config.has_value:
        problems += check_value(flag, "value", config.value)
    for org, value in config.organization_overrides.items():
        problems += check_value(flag, f"organizationOverrides[{org}]", value)
    for customer, value in config.customer_overrides.items():
        problems += check_value(flag, f"customerOverrides[{customer}]", value)
    rollout = config.rollout
    if rollout is not None:
        if flag.type is not FlagType.BOOL:
            problems.append(Problem(flag.key, "rollout", "only boolean flags can be rolled out"))
        if not (isinstance(rollout.percentage, int | float) and 0 <= rollout.percentage <= 100):
            problems.append(
                Problem(flag.key, "rollout.percentage", f"{rollout.percentage!r} is outside 0–100")
            )
    return problems


def check_states(states: Iterable[FlagState], *, prerequisites: bool = True) -> list[Problem]:
    """Problems with a whole environment: each flag, and (optionally) prerequisites between flags.

    Prerequisites are evaluated for each context (a flag whose prerequisite is off is off), so
    the write-time rules are about the graph only: every prerequisite exists and is boolean, no
    cycle, no chain deeper than `MAX_DEPTH`. Readers of snapshots check structure only, and
    compile whatever graph they get safely.
    """
    by_key: Mapping[str, FlagState] = {state.key: state for state in states}
    problems: list[Problem] = []
    for state in by_key.values():
        problems += check_definition(state.definition)
        problems += check_config(state.definition, state.config)
    if prerequisites:
        problems += prerequisite_problems(by_key)
    return problems


def ensure_valid(states: Iterable[FlagState]) -> None:
    """Raise `InvalidConfiguration` listing every problem in `states`, if there is any."""
    problems = check_states(states)
    if problems:
        raise InvalidConfiguration(problems)
