"""The automatic-rollback rule's settings, read from `FLAGPILOT_ROLLBACK_*` variables.

    FLAGPILOT_ROLLBACK_ALPHA                           absolute detector's alpha (default 0.10)
    FLAGPILOT_ROLLBACK_TIER_ALTERNATIVE                tier-long alternative, x threshold (1.4)
    FLAGPILOT_ROLLBACK_CHANGE_ALTERNATIVES             change alternatives, x threshold (1.6,3)
    FLAGPILOT_ROLLBACK_PAUSE_ALPHA                     absolute evidence without attribution
                                                       pauses at e >= 1 / this (0.05)
    FLAGPILOT_ROLLBACK_ATTRIBUTION_ALPHA               attribution detector's alpha (0.005)
    FLAGPILOT_ROLLBACK_ATTRIBUTION_TIER_ALTERNATIVE    tier-long relative risk (2)
    FLAGPILOT_ROLLBACK_ATTRIBUTION_CHANGE_ALTERNATIVES change relative risks (2,4)

Unset variables keep the defaults `bench/bench_rollback_sim.py` chose; the minimum events are
per rollout (`minEvents`). A bad value raises `ValueError` naming the variable, so the server
refuses to start rather than guard rollouts with a rule nobody asked for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from flagpilot.services.rollouts.decision import RollbackRule
from flagpilot.services.rollouts.sequential import Detector

PREFIX = "FLAGPILOT_ROLLBACK_"


def rule_from_environ(environ: Mapping[str, str]) -> RollbackRule:
    """The rule the variables describe (defaults where unset)."""
    defaults = RollbackRule()
    absolute = _detector(environ, "", defaults.absolute)
    unattributed = _number(environ, f"{PREFIX}PAUSE_ALPHA", min(defaults.unattributed_alpha, absolute.alpha))
    try:
        return RollbackRule(
            absolute=absolute,
            attribution=_detector(environ, "ATTRIBUTION_", defaults.attribution),
            unattributed_alpha=unattributed,
        )
    except ValueError as exc:
        raise ValueError(f"{PREFIX}PAUSE_ALPHA: {exc}") from None


def _detector(environ: Mapping[str, str], part: str, default: Detector) -> Detector:
    alpha = _number(environ, f"{PREFIX}{part}ALPHA", default.alpha)
    tier = _number(environ, f"{PREFIX}{part}TIER_ALTERNATIVE", default.tier_ratio)
    name = f"{PREFIX}{part}CHANGE_ALTERNATIVES"
    raw = environ.get(name, "").strip()
    changes = tuple(_parse(name, item) for item in raw.split(",")) if raw else default.change_ratios
    try:
        return replace(default, alpha=alpha, tier_ratio=tier, change_ratios=changes)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{part}*: {exc}") from None


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    return _parse(name, raw) if raw else default


def _parse(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {raw!r}")
    return value
