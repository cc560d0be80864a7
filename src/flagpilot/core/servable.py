"""Keep one unservable stored value from breaking the snapshot every client reads.

Every write path refuses such values (`check_value`), but the database can still hold one: a
row written by hand in SQL, by an older release, or restored from a backup. A snapshot holds
every flag of an environment and is serialised whole, so a single value nested too deep or not
representable as JSON would fail every read of the environment. Instead the bad value is left
out — an override or environment value falls through to the next layer, a flag whose default is
unservable is left out of the snapshot (clients then use their own default) — and each
omission is reported, so the operator can fix the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from flagpilot.core.errors import Problem
from flagpilot.core.model import UNSET, EnvironmentConfig, FlagState, FlagValue, frozen_mapping
from flagpilot.core.validation import check_value


def _servable_overrides(
    state: FlagState, field: str, overrides: Mapping[str, FlagValue], problems: list[Problem]
) -> Mapping[str, FlagValue] | None:
    """The overrides without the unservable ones, or None when all are servable."""
    bad = {
        subject
        for subject, value in overrides.items()
        if check_value(state.definition, f"{field}[{subject}]", value)
    }
    if not bad:
        return None
    problems.extend(Problem(state.key, f"{field}[{subject}]", "unservable value left out") for subject in bad)
    return frozen_mapping({subject: value for subject, value in overrides.items() if subject not in bad})


def _servable_config(state: FlagState, problems: list[Problem]) -> EnvironmentConfig:
    config = state.config
    if config.has_value and check_value(state.definition, "value", config.value):
        problems.append(Problem(state.key, "value", "unservable value left out"))
        config = replace(config, value=UNSET)
    organizations = _servable_overrides(
        state, "organizationOverrides", config.organization_overrides, problems
    )
    if organizations is not None:
        config = replace(config, organization_overrides=organizations)
    customers = _servable_overrides(state, "customerOverrides", config.customer_overrides, problems)
    if customers is not None:
        config = replace(config, customer_overrides=customers)
    return config


def servable_states(states: Iterable[FlagState]) -> tuple[tuple[FlagState, ...], list[Problem]]:
    """`states` with every unservable value left out, and what was left out."""
    problems: list[Problem] = []
    kept: list[FlagState] = []
    for state in states:
        if check_value(state.definition, "default", state.definition.default):
            problems.append(Problem(state.key, "default", "unservable default: flag left out"))
            continue
        config = _servable_config(state, problems)
        kept.append(state if config is state.config else FlagState(state.definition, config))
    return tuple(kept), problems
