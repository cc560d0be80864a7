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


MAX_VALUE_DEPTH = 32
"""How deeply a JSON flag value may nest: well inside every JSON library's recursion limit."""

INTEGER_RANGE = range(-(2**63), 2**64)
"""The integers every serialiser the server uses can write (64-bit, signed or unsigned)."""

MAX_VALUE_SIZE = 32 * 1024
"""About how many bytes a flag value may take as JSON: a configuration, not a data store."""


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problem(text: str) -> str | None:
    """Why no database can store `text` (a NUL character, a lone surrogate), or None."""
    if "\x00" in text:
        return "contains a NUL character"
    return "is not valid Unicode" if _unencodable(text) else None


def json_value_problem(value: object) -> str | None:
    """Why `value` is not a storable JSON value, or None if it is.

    Checked without recursion, so that a hostile value cannot exhaust the stack here either:
    each scalar must be JSON (finite numbers, valid Unicode), nesting is bounded by
    `MAX_VALUE_DEPTH` and the whole by `MAX_VALUE_SIZE`. A value that passes can be written by
    every serialiser the server uses, so one stored flag can never break a read.
    """
    size = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_VALUE_DEPTH:
            return f"nests deeper than {MAX_VALUE_DEPTH} levels"
        size += 8
        if isinstance(item, str):
            size += len(item)
            if _unencodable(item):
                return "has a string that is not valid Unicode"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "has a number that is not finite"
        elif isinstance(item, dict):
            for key, member in item.items():
                if not isinstance(key, str):
                    return "has an object key that is not a string"
                if _unencodable(key):
                    return "has an object key that is not valid Unicode"
                size += len(key)
                stack.append((member, depth + 1))
        elif isinstance(item, list):
            stack.extend((member, depth + 1) for member in item)
        elif isinstance(item, int) and not isinstance(item, bool):
            if item not in INTEGER_RANGE:
                return "has an integer beyond 64 bits"
        elif not (item is None or isinstance(item, bool)):
            return f"holds a {type(item).__name__}, which is not JSON"
        if size > MAX_VALUE_SIZE:
            return f"is larger than {MAX_VALUE_SIZE // 1024} KiB"
    return None


def check_value(flag: FlagDefinition, field: str, value: object) -> list[Problem]:
    """Problems with `value` as a value of `flag` (type, JSON-representability, depth and size)."""
    text = shown(value) if _cheap_to_show(value) else f"a {type(value).__name__}"
    if not value_matches_type(value, flag.type):
        return [Problem(flag.key, field, f"{text} is not a {flag.type.value} value")]
    problem = json_value_problem(value)
    if problem:
        return [Problem(flag.key, field, f"{shown} is not a {flag.type.value} value: it {problem}")]
    return []


def _cheap_to_show(value: object) -> bool:
    """Whether showing `value` is safe: no deep nesting that would exhaust the stack."""
    return not isinstance(value, dict | list) or json_value_problem(value) is None


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
