"""Write-time checks for flag changes: values against the flag's type, and prerequisites.

Problems come from the core's `check_*` functions and are raised as `InvalidInput` naming the
flag and the field. Prerequisites are judged per environment, and a change is refused only for
problems it introduces: turning a flag on before its prerequisite is refused, but an
environment that was already inconsistent does not block unrelated changes, and the kill
switch is never refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flagpilot.core import (
    EnvironmentConfig,
    FlagDefinition,
    FlagState,
    FlagValue,
    Problem,
    check_definition,
    check_states,
    check_value,
)
from flagpilot.services.errors import EnvironmentNotFound, FlagNotFound, InvalidInput
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.stored_records import FlagRecord

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
"""What an environment may be called: lower case, e.g. `qa` or `eu-production`."""


def raise_problems(problems: Iterable[Problem]) -> None:
    """Raise `InvalidInput` listing `problems`, if there are any."""
    found = list(problems)
    if found:
        raise InvalidInput("; ".join(str(problem) for problem in found), found)


def check_new_definition(definition: FlagDefinition) -> None:
    """Refuse a definition the core finds fault with."""
    raise_problems(check_definition(definition))


def check_flag_value(definition: FlagDefinition, field: str, value: FlagValue) -> None:
    """Refuse a value that is not of the flag's type."""
    raise_problems(check_value(definition, field, value))


def require_flag(uow: UnitOfWork, key: str) -> FlagRecord:
    """The flag `key`; `FlagNotFound` if there is none."""
    record = uow.flags.get(key)
    if record is None:
        raise FlagNotFound(f"flag {key!r} does not exist")
    return record


def require_environment(uow: UnitOfWork, name: str) -> None:
    """`EnvironmentNotFound` unless environment `name` exists."""
    if uow.environments.get(name) is None:
        raise EnvironmentNotFound(f"environment {name!r} does not exist")


def environment_states(uow: UnitOfWork, environment: str) -> dict[str, FlagState]:
    """The served flags of `environment` with their value and kill switch (no overrides)."""
    settings = uow.environments.settings_in(environment)
    states: dict[str, FlagState] = {}
    for record in uow.flags.list(include_archived=False):
        setting = settings.get(record.key)
        config = (
            EnvironmentConfig()
            if setting is None
            else EnvironmentConfig(killed=setting.killed, value=setting.value)
        )
        states[record.key] = FlagState(record.definition, config)
    return states


def check_prerequisites(
    uow: UnitOfWork,
    environments: Iterable[str],
    change: Callable[[dict[str, FlagState]], None],
) -> None:
    """Refuse `change` if it breaks a prerequisite in any of `environments`.

    Args:
        uow: where the current states are read.
        environments: the environments the change affects.
        change: applies the change to a copy of an environment's states (key → state).
    """
    introduced: list[Problem] = []
    for environment in environments:
        before = environment_states(uow, environment)
        after = dict(before)
        change(after)
        known = set(check_states(before.values()))
        introduced += [
            Problem(p.flag, f"{p.field} (in {environment})", p.message)
            for p in check_states(after.values())
            if p not in known
        ]
    raise_problems(introduced)
