"""The flag services, composed: every change to flags, environment settings and overrides, audited."""

from __future__ import annotations

from flagpilot.services.flags.bulk import BulkCommands
from flagpilot.services.flags.definitions import FlagDefinitions
from flagpilot.services.flags.environment_settings import EnvironmentSettings
from flagpilot.services.flags.overrides import OverrideCommands
from flagpilot.services.flags.reads import FlagReads
from flagpilot.services.flags.units import FlagUnits
from flagpilot.services.ports import UnitOfWorkFactory


class FlagManager:
    """The flag services over one unit-of-work factory, behind the one name their callers use.

    Each part is a small service of its own (`reads`, `definitions`, `settings`, `overrides`,
    `bulk_actions`); the API, the CLI, the admin UI and the import call several of them, so
    this facade names their operations and holds no logic of its own.

    Every change opens a unit of work, checks its input with the core's `check_*` functions
    (`InvalidInput` names the flag and field), makes the change, appends an `AuditEntry` through
    the same unit of work, and commits: a change is never stored without its audit row, nor the
    reverse. Changes that name an `expected_version` older than the flag's raise
    `VersionConflict` instead of overwriting someone else's change.

    Args:
        uow_factory: opens units of work (`flagpilot.storage.SqlUnitOfWorkFactory`).
    """

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        units = FlagUnits(uow_factory)
        self.reads = FlagReads(units)
        self.definitions = FlagDefinitions(units)
        self.settings = EnvironmentSettings(units)
        self.overrides = OverrideCommands(units)
        self.bulk_actions = BulkCommands(units, self.definitions)

        self.list_environments = self.reads.list_environments
        self.list_flags = self.reads.list_flags
        self.get_flag = self.reads.get_flag
        self.list_overrides = self.reads.list_overrides

        self.create_environment = self.definitions.create_environment
        self.create_flag = self.definitions.create_flag
        self.update_flag = self.definitions.update_flag
        self.archive_flag = self.definitions.archive_flag
        self.restore_flag = self.definitions.restore_flag

        self.set_value = self.settings.set_value
        self.clear_value = self.settings.clear_value
        self.kill = self.settings.kill
        self.unkill = self.settings.unkill

        self.set_override = self.overrides.set_override
        self.set_overrides = self.overrides.set_overrides
        self.clear_override = self.overrides.clear_override
        self.clear_overrides = self.overrides.clear_overrides

        self.bulk = self.bulk_actions.bulk
