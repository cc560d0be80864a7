"""Pages while the database is unreachable: built from the last good snapshots.

The serving snapshots hold every served flag's definition, kill switch and environment value,
so the flags page and a flag's page can still answer "is it on?" in every environment (and the
explain box still explains). They say so in a banner and offer no control: every write would
be refused with the same message. What only the database knows (overrides lists, history,
audit, tokens) is left out, or the page says it cannot be shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from flagpilot.services.errors import NotFound, StorageUnavailable
from flagpilot.services.flags import EnvironmentState, FlagView
from flagpilot.services.snapshots import SnapshotProvider
from flagpilot.services.stored_records import FlagRecord, FlagSetting

FALLBACK_ENVIRONMENTS = ("development", "staging", "production")
"""The environments looked for while the database is down, before any page has read the real list."""


def snapshot_view(snapshots: SnapshotProvider, key: str, environments: Sequence[str]) -> FlagView:
    """Flag `key` as the snapshots of `environments` hold it; `NotFound` if none holds it."""
    for view in snapshot_views(snapshots, environments):
        if view.key == key:
            return view
    raise NotFound(f"flag {key!r} is not in the last good snapshot")


def snapshot_views(snapshots: SnapshotProvider, environments: Sequence[str]) -> list[FlagView]:
    """A view of every flag the snapshots of `environments` hold, by key (rollouts left out)."""
    states: dict[str, dict[str, EnvironmentState]] = {}
    records: dict[str, FlagRecord] = {}
    for environment in environments:
        try:
            snapshot = snapshots.get(environment)
        except (StorageUnavailable, NotFound):
            continue
        for key, state in snapshot.states.items():
            records.setdefault(key, FlagRecord(state.definition))
            setting = FlagSetting(key, environment, killed=state.config.killed, value=state.config.value)
            states.setdefault(key, {})[environment] = EnvironmentState(environment, setting=setting)
    return [FlagView(records[key], states[key]) for key in sorted(records)]
