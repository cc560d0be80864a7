"""The seed's flag listing: every flag grouped by phase, with whether it is on per environment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flagpilot.api.serialisers import flag_json
from flagpilot.services.flags import FlagView

PHASE_NAMES = ("1", "2", "3", "none")


def flag_entry(view: FlagView) -> dict[str, Any]:
    """A flag as the listing shows it: `flag_json(view)` plus `enabled` per environment."""
    data = flag_json(view)
    for name, state in data["environments"].items():
        state["enabled"] = view.enabled(name)
    return data


def by_phase(views: Iterable[FlagView], environments: list[str]) -> dict[str, Any]:
    """`{"phases": {"1": [...], "2": [...], "3": [...], "none": [...]}, "environments": [...]}`."""
    phases: dict[str, list[dict[str, Any]]] = {name: [] for name in PHASE_NAMES}
    for view in views:
        phase = view.record.definition.phase
        name = str(phase) if str(phase) in phases else "none"
        phases[name].append(flag_entry(view))
    return {"phases": phases, "environments": environments}
