"""Bulk actions: one change to many flags, in one transaction, with one audit row per flag.

    manager.bulk(BulkAction.DISABLE, ["a", "b"], "production", actor=..., reason="incident 42")

All or nothing: if any flag is unknown, archived where that matters, or refused by its
prerequisites, nothing is written, and the error names the flag. A bulk action always needs a
reason, since it is how an incident is usually handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum

from flagpilot.core import EnvironmentConfig, FlagState, Problem
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.audit_payloads import setting_payload
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import InvalidInput
from flagpilot.services.flags.checks import (
    check_flag_value,
    check_prerequisites,
    require_environment,
    require_flag,
)
from flagpilot.services.flags.definitions import FlagDefinitions, refuse_archiving_prerequisites
from flagpilot.services.flags.units import FlagUnits
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.stored_records import FlagSetting

MAX_BULK = 5000


class BulkAction(StrEnum):
    """What a bulk action does to each flag."""

    ENABLE = "enable"
    DISABLE = "disable"
    KILL = "kill"
    ARCHIVE = "archive"


class BulkCommands:
    """Apply one action to many flags at once.

    Args:
        units: opens the units of work.
        definitions: archives each flag (its checks and audit row) inside the bulk's unit of work.
    """

    def __init__(self, units: FlagUnits, definitions: FlagDefinitions) -> None:
        self._units = units
        self._definitions = definitions

    @retry_on_contention
    def bulk(
        self, action: BulkAction | str, keys: Sequence[str], environment: str, *, actor: str, reason: str
    ) -> int:
        """Apply `action` to every flag of `keys` in `environment`; how many were changed.

        Raises:
            InvalidInput: no flag, too many, an unknown action, or no reason.
            FlagNotFound, EnvironmentNotFound, InvalidInput from a flag: nothing is written.
        """
        chosen = _action(action)
        unique = list(dict.fromkeys(key.strip() for key in keys if key.strip()))
        if not unique or len(unique) > MAX_BULK:
            raise InvalidInput(
                f"a bulk action takes 1 to {MAX_BULK} flags",
                [Problem("(bulk)", "flags", f"choose 1 to {MAX_BULK} flags")],
            )
        if not reason.strip():
            raise InvalidInput("a bulk action needs a reason", [Problem("(bulk)", "reason", "is required")])
        with self._units.write(actor) as uow:
            if chosen is BulkAction.ARCHIVE:
                self._archive_many(uow, unique, reason)
            else:
                self._set_many(uow, chosen, unique, environment, reason)
            uow.commit()
        return len(unique)

    def _archive_many(self, uow: UnitOfWork, keys: list[str], reason: str) -> None:
        """Archive `keys`, checking once that no flag left served requires one of them."""
        served = [key for key in keys if not require_flag(uow, key).archived]
        refuse_archiving_prerequisites(uow, served)
        for key in keys:
            self._definitions.set_archived_in(
                uow, key, True, expected_version=None, reason=reason, dependants_checked=True
            )

    def _set_many(
        self, uow: UnitOfWork, action: BulkAction, keys: list[str], environment: str, reason: str
    ) -> None:
        """Enable, disable or kill `keys` in `environment`.

        The prerequisites are checked once for the whole change, on the environment as it will
        be, rather than once per flag: a thousand flags cost one pass over the environment, not
        a thousand. The versions, settings and audit rows are then written a statement each.
        """
        require_environment(uow, environment)
        records = {key: require_flag(uow, key) for key in keys}
        current = uow.environments.settings_in(environment)
        killing = action is BulkAction.KILL
        value = action is BulkAction.ENABLE
        changes: dict[str, tuple[FlagSetting, FlagSetting]] = {}
        for key in keys:
            before = current.get(key) or FlagSetting(key, environment)
            if not killing:
                check_flag_value(records[key].definition, "value", value)
            changes[key] = (before, replace(before, killed=True) if killing else replace(before, value=value))
        if not killing:

            def apply(states: dict[str, FlagState]) -> None:
                for key, (_, after) in changes.items():
                    if not records[key].archived:
                        config = EnvironmentConfig(killed=after.killed, value=after.value)
                        states[key] = FlagState(records[key].definition, config)

            check_prerequisites(uow, [environment], apply)
        uow.flags.touch_many(keys)
        uow.environments.put_settings([after for _, after in changes.values()])
        uow.audit.record_many(
            [
                AuditEntry(
                    action="environment.kill" if killing else "environment.set_value",
                    scope="environment",
                    feature_name=key,
                    environment=environment,
                    before=setting_payload(before),
                    after=setting_payload(after),
                    reason=reason,
                )
                for key, (before, after) in changes.items()
            ]
        )


def _action(action: BulkAction | str) -> BulkAction:
    try:
        return BulkAction(action)
    except ValueError:
        choices = ", ".join(a.value for a in BulkAction)
        raise InvalidInput(
            f"unknown bulk action {action!r}", [Problem("(bulk)", "action", f"must be one of {choices}")]
        ) from None
