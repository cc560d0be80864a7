"""Numbers the core would round, refused on import instead of silently changed.

Rollout percentages move in 0.01 % steps (the bucket is 0..9999), so 12.345 % would quietly
serve 12.35 %; whole-number fields (seconds, event counts, the time window) would be truncated.
An operator who typed them should hear about it, naming the field — from the CLI as from HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flagpilot.core import Problem

PERCENT_STEPS = 100
"""Steps per percentage point: the bucket resolution of `flagpilot.core.bucketing`."""

_WHOLE = (("minDwellSeconds",), ("minEvents",), ("rollbackThreshold", "timeWindow"))


def off_grid(percentage: float) -> bool:
    """Whether `percentage` is not a multiple of 0.01 (as `round(p * 100)` would change it)."""
    scaled = percentage * PERCENT_STEPS
    return not math.isfinite(scaled) or abs(scaled - round(scaled)) > 1e-9  # float noise of p * 100 is ~1e-13


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _at(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    found: Any = data
    for name in path:
        if not isinstance(found, Mapping):
            return None
        found = found.get(name)
    return found


def rounding_problems(document: Any) -> list[Problem]:
    """A problem (item `rollouts[i]`, the dotted field) for each rollout number the core would round."""
    rollouts = document.get("rollouts") if isinstance(document, Mapping) else None
    if not isinstance(rollouts, list):
        return []
    problems = []
    for index, rollout in enumerate(rollouts):
        if not isinstance(rollout, Mapping):
            continue
        item = f"rollouts[{index}]"
        percentage: Any = rollout.get("percentage")
        if _number(percentage) and off_grid(float(percentage)):
            problems.append(Problem(item, "percentage", f"{percentage!r} is not a multiple of 0.01"))
        for path in _WHOLE:
            value = _at(rollout, path)
            if _number(value) and not float(value).is_integer():
                problems.append(Problem(item, ".".join(path), f"{value!r} is not a whole number"))
    return problems
