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
from functools import partial

from flagpilot.core import Problem
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import InvalidInput
from flagpilot.services.flags.definitions import FlagDefinitions
from flagpilot.services.flags.environment_settings import EnvironmentSettings
from flagpilot.services.records import FlagSetting

MAX_BULK = 5000


class BulkAction(StrEnum):
    """What a bulk action does to each flag."""

    ENABLE = "enable"
    DISABLE = "disable"
    KILL = "kill"
    ARCHIVE = "archive"


class BulkCommands(FlagDefinitions, EnvironmentSettings):
    """Apply one action to many flags at once."""

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
        with self._write(actor) as uow:
            for key in unique:
                if chosen is BulkAction.ARCHIVE:
                    self._set_archived_in(uow, key, True, expected_version=None, reason=reason)
                    continue
                killing = chosen is BulkAction.KILL
                value = chosen is BulkAction.ENABLE
                self._change_in(
                    uow,
                    key,
                    environment,
                    _killed if killing else partial(_valued, value=value),
                    action="environment.kill" if killing else "environment.set_value",
                    expected_version=None,
                    reason=reason,
                    checked_value=None if killing else (value,),
                )
            uow.commit()
        return len(unique)


def _killed(setting: FlagSetting) -> FlagSetting:
    return replace(setting, killed=True)


def _valued(setting: FlagSetting, *, value: bool) -> FlagSetting:
    return replace(setting, value=value)


def _action(action: BulkAction | str) -> BulkAction:
    try:
        return BulkAction(action)
    except ValueError:
        choices = ", ".join(a.value for a in BulkAction)
        raise InvalidInput(
            f"unknown bulk action {action!r}", [Problem("(bulk)", "action", f"must be one of {choices}")]
        ) from None
