"""The flag manager: every change to flags, environment settings and overrides, audited."""

from __future__ import annotations

from flagpilot.services.flags.bulk import BulkCommands
from flagpilot.services.flags.overrides import OverrideCommands


class FlagManager(BulkCommands, OverrideCommands):
    """Creates, changes and reads flags; each call is one transaction with its audit row.

    Every change opens a unit of work, checks its input with the core's `check_*` functions
    (`InvalidInput` names the flag and field), makes the change, appends an `AuditEntry` through
    the same unit of work, and commits: a change is never stored without its audit row, nor the
    reverse. Changes that name an `expected_version` older than the flag's raise
    `VersionConflict` instead of overwriting someone else's change.

    Args:
        uow_factory: opens units of work (`flagpilot.storage.SqlUnitOfWorkFactory`).
    """
