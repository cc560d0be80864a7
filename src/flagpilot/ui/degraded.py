"""The flags page while the database is unreachable: built from the last good snapshots.

The serving snapshots hold every served flag's definition, kill switch, environment value and
rollout, so the page can still answer "is it on?" in every environment. It says so in a banner,
and offers no control: every write would be refused with the same message.
"""

from __future__ import annotations

from collections.abc import Sequence

from flagpilot.services.errors import NotFound, StorageUnavailable
from flagpilot.services.flags import EnvironmentState, FlagView
from flagpilot.services.records import FlagRecord, FlagSetting
from flagpilot.services.snapshots import SnapshotProvider


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
