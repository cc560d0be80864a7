"""Creating and changing flag definitions and environments."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from flagpilot.core import FlagDefinition, FlagState, Problem
from flagpilot.core.errors import shown
from flagpilot.services.audit_payloads import flag_payload
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import Conflict, InvalidInput
from flagpilot.services.flags.checks import (
    ENVIRONMENT_NAME,
    check_new_definition,
    check_prerequisites,
    raise_problems,
    require_flag,
)
from flagpilot.services.flags.read_models import FlagView
from flagpilot.services.flags.reads import flag_view
from flagpilot.services.flags.units import FlagUnits, audit_change
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.stored_records import EnvironmentRecord

CHANGEABLE = {
    "description": "description",
    "default": "default",
    "phase": "phase",
    "prerequisites": "prerequisites",
}
"""Fields `update_flag` accepts (as the admin API names them) → `FlagDefinition` attribute."""


def _check_prerequisites_exist(uow: UnitOfWork, definition: FlagDefinition) -> None:
    raise_problems(
        Problem(definition.key, "prerequisites", f"unknown flag {required!r}")
        for required in definition.prerequisites
        if uow.flags.get(required) is None
    )


def _changed_definition(record_definition: FlagDefinition, changes: Mapping[str, Any]) -> FlagDefinition:
    key = record_definition.key
    problems = [
        Problem(key, name, "cannot be changed" if name in ("key", "type") else "is not a field of a flag")
        for name in changes
        if name not in CHANGEABLE
    ]
    if "description" in changes and not isinstance(changes["description"], str):
        problems.append(Problem(key, "description", "must be a string"))
    prerequisites = changes.get("prerequisites", record_definition.prerequisites)
    if not isinstance(prerequisites, list | tuple) or not all(isinstance(p, str) for p in prerequisites):
        problems.append(Problem(key, "prerequisites", "must be a list of flag keys"))
        prerequisites = ()
    phase = changes.get("phase", record_definition.phase)
    if isinstance(phase, bool) or not (phase is None or isinstance(phase, int)):
        problems.append(Problem(key, "phase", f"must be 1, 2, 3 or null, not {shown(phase)}"))
    raise_problems(problems)
    updates = {CHANGEABLE[name]: value for name, value in changes.items()}
    updates["prerequisites"] = tuple(prerequisites)
    return replace(record_definition, **updates)


def refuse_archiving_prerequisites(uow: UnitOfWork, keys: Collection[str]) -> None:
    """`Conflict` if a served flag outside `keys` requires one of `keys`: archiving them would
    turn it off, since a missing prerequisite is an unmet one. One pass over the flags, however
    many are archived together."""
    leaving = set(keys)
    dependants: dict[str, list[str]] = {}
    for other in uow.flags.list(include_archived=False):
        if other.key in leaving:
            continue
        for required in other.definition.prerequisites:
            if required in leaving:
                dependants.setdefault(required, []).append(other.key)
    if dependants:
        key = min(dependants)
        names = ", ".join(repr(name) for name in sorted(dependants[key]))
        raise Conflict(f"flag {key!r} is a prerequisite of {names}: remove it from their prerequisites first")


class FlagDefinitions:
    """Environments and flag definitions: create, update, archive, restore."""

    def __init__(self, units: FlagUnits) -> None:
        self._units = units

    @retry_on_contention
    def create_environment(self, name: str, *, actor: str, description: str = "") -> EnvironmentRecord:
        """Add an environment (lower case, e.g. `qa`); `AlreadyExists` if it is there."""
        if not ENVIRONMENT_NAME.match(name):
            raise InvalidInput(f"environment name {name!r} must match {ENVIRONMENT_NAME.pattern}")
        record = EnvironmentRecord(name=name, description=description)
        with self._units.write(actor) as uow:
            uow.environments.add(record)
            audit_change(
                uow, "environment.create", "environment", environment=name, after={"description": description}
            )
            uow.commit()
        return record

    @retry_on_contention
    def create_flag(self, definition: FlagDefinition, *, actor: str, reason: str = "") -> FlagView:
        """Add a flag; `InvalidInput` for a bad definition, `AlreadyExists` if the key is taken."""
        check_new_definition(definition)
        with self._units.write(actor) as uow:
            _check_prerequisites_exist(uow, definition)
            # A flag that needs none and that none names has no edge in the graph: it cannot
            # break a prerequisite, and the check (which reads every flag) is skipped.
            if definition.prerequisites or uow.flags.requiring(definition.key):
                check_prerequisites(
                    uow,
                    [env.name for env in uow.environments.list()],
                    lambda states: states.__setitem__(definition.key, FlagState(definition)),
                )
            record = uow.flags.add(definition)
            audit_change(
                uow,
                "flag.create",
                "flag",
                feature_name=definition.key,
                after=flag_payload(record),
                reason=reason,
            )
            uow.commit()
        with self._units.read() as uow:
            return flag_view(uow, definition.key)

    @retry_on_contention
    def update_flag(
        self,
        key: str,
        changes: Mapping[str, Any],
        *,
        actor: str,
        expected_version: int | None = None,
        reason: str = "",
    ) -> FlagView:
        """Change a flag's description, default, phase or prerequisites.

        Args:
            key: the flag.
            changes: field → new value, with the admin API's names: `description`, `default`,
                `phase`, `prerequisites`. Other fields are refused, naming them.
            actor: who makes the change.
            expected_version: the version the change is based on; if the flag changed since,
                `VersionConflict` is raised and nothing is written.
            reason: why, for the audit trail.
        """
        with self._units.write(actor) as uow:
            record = require_flag(uow, key)
            definition = _changed_definition(record.definition, changes)
            check_new_definition(definition)
            _check_prerequisites_exist(uow, definition)
            if not record.archived:

                def apply(states: dict[str, FlagState]) -> None:
                    states[key] = FlagState(definition, states[key].config)

                check_prerequisites(uow, [env.name for env in uow.environments.list()], apply)
            saved = uow.flags.save(definition, archived=record.archived, expected_version=expected_version)
            audit_change(
                uow,
                "flag.update",
                "flag",
                feature_name=key,
                before=flag_payload(record),
                after=flag_payload(saved),
                reason=reason,
            )
            view = flag_view(uow, key)
            uow.commit()
        return view

    def archive_flag(
        self, key: str, *, actor: str, expected_version: int | None = None, reason: str = ""
    ) -> FlagView:
        """Stop serving a flag without deleting it (its settings and overrides are kept).

        A flag that served flags require is not archived (`Conflict` naming them): they would
        all turn off, since a missing prerequisite is an unmet one."""
        return self._set_archived(key, True, actor=actor, expected_version=expected_version, reason=reason)

    def restore_flag(
        self, key: str, *, actor: str, expected_version: int | None = None, reason: str = ""
    ) -> FlagView:
        """Serve an archived flag again."""
        return self._set_archived(key, False, actor=actor, expected_version=expected_version, reason=reason)

    @retry_on_contention
    def _set_archived(
        self, key: str, archived: bool, *, actor: str, expected_version: int | None, reason: str
    ) -> FlagView:
        with self._units.write(actor) as uow:
            self.set_archived_in(uow, key, archived, expected_version=expected_version, reason=reason)
            view = flag_view(uow, key)
            uow.commit()
        return view

    def set_archived_in(
        self,
        uow: UnitOfWork,
        key: str,
        archived: bool,
        *,
        expected_version: int | None,
        reason: str,
        dependants_checked: bool = False,
    ) -> None:
        """`_set_archived` within the caller's unit of work (a bulk archive changes many in one,
        having checked their dependants once: `dependants_checked`)."""
        record = require_flag(uow, key)
        if archived and not record.archived and not dependants_checked:
            refuse_archiving_prerequisites(uow, [key])
        saved = uow.flags.save(record.definition, archived=archived, expected_version=expected_version)
        audit_change(
            uow,
            "flag.archive" if archived else "flag.restore",
            "flag",
            feature_name=key,
            before=flag_payload(record),
            after=flag_payload(saved),
            reason=reason,
        )
