"""A flag's settings in one environment: its value and its kill switch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flagpilot.core import UNSET, EnvironmentConfig, FlagState, FlagValue
from flagpilot.services.audit_payloads import setting_payload
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.flags.checks import (
    check_flag_value,
    check_prerequisites,
    require_environment,
    require_flag,
)
from flagpilot.services.flags.read_models import FlagView
from flagpilot.services.flags.reads import flag_view
from flagpilot.services.flags.units import FlagUnits, audit_change
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.stored_records import FlagSetting


class EnvironmentSettings:
    """Environment values and the kill switch."""

    def __init__(self, units: FlagUnits) -> None:
        self._units = units

    def set_value(
        self,
        key: str,
        environment: str,
        value: FlagValue,
        *,
        actor: str,
        expected_version: int | None = None,
        reason: str = "",
    ) -> FlagView:
        """Set the flag's value in `environment` (checked against its type and prerequisites)."""
        return self._change(
            key,
            environment,
            lambda s: replace(s, value=value),
            action="environment.set_value",
            actor=actor,
            expected_version=expected_version,
            reason=reason,
            checked_value=(value,),
        )

    def clear_value(
        self, key: str, environment: str, *, actor: str, expected_version: int | None = None, reason: str = ""
    ) -> FlagView:
        """Remove the flag's value in `environment`: it falls back to the flag's default."""
        return self._change(
            key,
            environment,
            lambda s: replace(s, value=UNSET),
            action="environment.clear_value",
            actor=actor,
            expected_version=expected_version,
            reason=reason,
            checked_value=(),
        )

    def kill(
        self, key: str, environment: str, *, actor: str, reason: str = "", expected_version: int | None = None
    ) -> FlagView:
        """Turn the kill switch on: the flag is off for everyone in `environment`. Never refused
        for prerequisites, so it always works in an emergency."""
        return self._change(
            key,
            environment,
            lambda s: replace(s, killed=True),
            action="environment.kill",
            actor=actor,
            expected_version=expected_version,
            reason=reason,
            checked_value=None,
        )

    def unkill(
        self, key: str, environment: str, *, actor: str, reason: str = "", expected_version: int | None = None
    ) -> FlagView:
        """Turn the kill switch off again."""
        return self._change(
            key,
            environment,
            lambda s: replace(s, killed=False),
            action="environment.unkill",
            actor=actor,
            expected_version=expected_version,
            reason=reason,
            checked_value=(),
        )

    @retry_on_contention
    def _change(
        self,
        key: str,
        environment: str,
        update: Callable[[FlagSetting], FlagSetting],
        *,
        action: str,
        actor: str,
        expected_version: int | None,
        reason: str,
        checked_value: tuple[FlagValue, ...] | None,
    ) -> FlagView:
        """Apply `update` to the flag's setting; `checked_value` None skips every check (kill)."""
        with self._units.write(actor) as uow:
            self._change_in(
                uow,
                key,
                environment,
                update,
                action=action,
                expected_version=expected_version,
                reason=reason,
                checked_value=checked_value,
            )
            view = flag_view(uow, key)
            uow.commit()
        return view

    def _change_in(
        self,
        uow: UnitOfWork,
        key: str,
        environment: str,
        update: Callable[[FlagSetting], FlagSetting],
        *,
        action: str,
        expected_version: int | None,
        reason: str,
        checked_value: tuple[FlagValue, ...] | None,
    ) -> None:
        """`_change` within the caller's unit of work."""
        record = require_flag(uow, key)
        require_environment(uow, environment)
        for value in checked_value or ():
            check_flag_value(record.definition, "value", value)
        before = uow.environments.settings(key).get(environment) or FlagSetting(key, environment)
        after = update(before)
        if checked_value is not None and not record.archived:

            def apply(states: dict[str, FlagState]) -> None:
                states[key] = FlagState(
                    record.definition, EnvironmentConfig(killed=after.killed, value=after.value)
                )

            check_prerequisites(uow, [environment], apply)
        self._write_setting(
            uow, before, after, action=action, expected_version=expected_version, reason=reason
        )

    def _write_setting(
        self,
        uow: UnitOfWork,
        before: FlagSetting,
        after: FlagSetting,
        *,
        action: str,
        expected_version: int | None,
        reason: str,
    ) -> None:
        """Store a checked setting, bump the flag's version and write the audit row."""
        uow.flags.touch(after.flag_key, expected_version)
        uow.environments.put_setting(after)
        audit_change(
            uow,
            action,
            "environment",
            feature_name=after.flag_key,
            environment=after.environment,
            before=setting_payload(before),
            after=setting_payload(after),
            reason=reason,
        )
